"""The JSON schemas of the answers, sent as ``response_format`` (see ``client``).

Written in the subset strict structured-output servers accept: every property required,
no additional properties, optional values as ``anyOf`` with ``null``. Lists carry
``maxItems`` so a grammar-constrained small model cannot ramble until ``max_tokens``.
"""

from typing import Any, get_args

from contracts.summary import ConstraintKind
from services.worker.summarizer.llm.client import AnswerSchema
from services.worker.summarizer.llm.parsing import (
    MAX_FACTS,
    MAX_HIGHLIGHTS,
    MAX_KEY_POINTS,
    MAX_OVERVIEW,
    MAX_TOPICS,
)

FACT_LISTS = (
    "role",
    "experience",
    "achievements",
    "motivation",
    "reason_for_leaving",
    "constraints",
    "skills",
    "statements",
)
"""The lists of ``contracts.summary.SessionFacts``, in its order."""
CONSTRAINT_KINDS = [kind.value for kind in get_args(ConstraintKind)]


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _strings(limit: int) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "maxItems": limit}


def _fact(**extra: Any) -> dict[str, Any]:
    return _object(
        {
            "value": {"type": "string"},
            "turn": {"type": "integer"},
            "quote": {"type": "string"},
            **extra,
        }
    )


def _facts() -> dict[str, Any]:
    items = {name: _fact() for name in FACT_LISTS}
    items["achievements"] = _fact(
        direction={"anyOf": [{"type": "string", "enum": ["up", "down"]}, {"type": "null"}]}
    )
    items["constraints"] = _fact(kind={"type": "string", "enum": CONSTRAINT_KINDS})
    return _object(
        {
            name: {"type": "array", "items": item, "maxItems": MAX_FACTS}
            for name, item in items.items()
        }
    )


def _text() -> dict[str, Any]:
    return {
        "overview": _strings(MAX_OVERVIEW),
        "key_points": _strings(MAX_KEY_POINTS),
        "topics": _strings(MAX_TOPICS),
    }


SESSION_MAP = AnswerSchema("session_summary", _object({**_text(), "facts": _facts()}))
"""A chunk of a transcript: the text layer and the grounded facts."""
SESSION_REDUCE = AnswerSchema("session_summary_combined", _object(_text()))
"""Partial summaries combined: the text layer (the facts are merged without the model)."""
PROFILE = AnswerSchema(
    "candidate_profile",
    _object(
        {
            "overview": _strings(MAX_OVERVIEW),
            "recurring_topics": {
                "type": "array",
                "items": _object({"topic": {"type": "string"}, "sessions": {"type": "integer"}}),
                "maxItems": MAX_TOPICS,
            },
            "highlights": _strings(MAX_HIGHLIGHTS),
        }
    ),
)


def _names(schema: dict[str, Any]) -> set[str]:
    properties = schema.get("properties", {})
    found = set(properties)
    for value in [*properties.values(), schema.get("items")]:
        if isinstance(value, dict):
            found |= _names(value)
    return found


FIELD_NAMES = frozenset().union(*(_names(s.schema) for s in (SESSION_MAP, PROFILE)))
"""Every field name of the answers (an answer that names its own fields echoes the prompt)."""
