"""Content identity of a session's text."""

import hashlib
import json
from collections.abc import Iterable


def content_hash(turns: Iterable[tuple[str, str, str]]) -> str:
    """sha256 over ordered (role, speaker, text): the same text gives the same hash."""
    payload = json.dumps([list(t) for t in turns], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()
