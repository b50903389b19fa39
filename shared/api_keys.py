"""API keys: what a key looks like, how it is kept (a hash only) and what it may do.

A key is ``summ_<id>_<secret>``: the id names the key in listings and logs, the secret
(256 random bits) is shown once, when the key is made, and never stored. The store keeps
the SHA-256 of the whole key: with that much entropy a fast hash is enough, since no
dictionary can guess the secret back from it.
"""

import hashlib
import re
import secrets
from enum import StrEnum

from contracts import types

TOKEN_PREFIX = "summ_"
TOKEN_PATTERN = re.compile(r"summ_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
TENANT_PATTERN = re.compile(types.TENANT_PATTERN)
"""Tenant names go into Redis key names and events: no ``:`` or ``/`` to confuse them."""
DEFAULT_TENANT = types.DEFAULT_TENANT


class Scope(StrEnum):
    SUBMIT = "submit"
    """Queue summaries and store sessions."""
    READ = "read"
    """Read the tenant's task status, sessions and summaries."""
    ADMIN = "admin"
    """Operations: /metrics, the API docs when they are not public."""


def new_token() -> tuple[str, str]:
    """A fresh key: (its id, the whole key)."""
    key_id = secrets.token_hex(6)
    return key_id, f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def key_hash(token: str) -> str:
    """What the store keeps of a key."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> frozenset[Scope]:
    """``"submit,read"`` -> the scopes; an unknown word is a ValueError naming it."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    unknown = [w for w in words if w not in Scope.__members__.values()]
    if unknown or not words:
        allowed = ", ".join(s.value for s in Scope)
        raise ValueError(f"unknown scope(s) {unknown or [text]}; expected some of: {allowed}")
    return frozenset(Scope(w) for w in words)


def check_tenant(name: str) -> str:
    if not TENANT_PATTERN.match(name):
        raise ValueError(
            f"invalid tenant name {name!r}: 1-64 letters, digits, '_', '.', '-',"
            " starting with a letter or digit"
        )
    return name
