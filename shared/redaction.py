"""Keep secrets out of logs and out of anything printed: passwords in URLs and bearer/API
keys."""

import re
from collections.abc import Iterable
from typing import Any, TextIO

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"'=:\s]+)[A-Za-z0-9._\-]{8,}")


def redact_text(text: str) -> str:
    """``text`` with URL passwords and API keys replaced by ``***``."""
    if "://" in text:
        text = _URL_PASSWORD.sub(r"\g<scheme>\g<user>:***@", text)
    if "earer" in text or "pi" in text:
        text = _BEARER.sub(r"\1***", text)
    return text


class RedactedStream:
    """A text stream that masks secrets in everything written to it: ``print`` to a
    wrapped ``sys.stdout`` goes through the same redaction as a log line. A secret split
    across two writes is not recognised; ``print`` writes each argument whole."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(redact_text(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
