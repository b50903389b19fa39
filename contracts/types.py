"""Small shared vocabularies."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[\w.:-]+$"),
]
"""An opaque id (UUIDs or any slug of letters, digits, ``_ . : -``)."""

TENANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Tenant = Annotated[str, StringConstraints(pattern=TENANT_PATTERN)]
"""Who owns a request and what it makes: a calling service (its API key's tenant)."""
DEFAULT_TENANT = "default"
"""The tenant of a request event that names none (an internal producer)."""

TurnText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000, pattern=r"\S"),
]
"""A turn's words: at least one character that is not a space (the schema says so too, so
a client validating against it is not surprised by a 422)."""

Attempts = Annotated[int, Field(ge=0)]


class Kind(StrEnum):
    """What is summarized."""

    SESSION = "session"
    PROFILE = "profile"


class Mode(StrEnum):
    """How a session is summarized."""

    SELF_REPORT = "SELF_REPORT"
    """What the candidate says about themself: their own turns only."""
    INTERVIEW = "INTERVIEW"
    """The whole exchange, questions included as context."""
    NOTES = "NOTES"
    """Interviewer notes."""


class Role(StrEnum):
    """Who speaks a turn."""

    CANDIDATE = "candidate"
    INTERVIEWER = "interviewer"
