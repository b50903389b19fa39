"""The README's matching rule: a string is found when it occurs in one of the summary's
string values as a whole word or phrase, case-insensitively ("8" does not match "18",
nor "8.5")."""

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from bench.eval.data import Expected


def strings(value: Any) -> list[str]:
    """Every string value in a JSON-like document, depth first."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


@lru_cache(maxsize=4096)
def _pattern(phrase: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(w) for w in phrase.split())
    return re.compile(rf"(?<![\w])(?<!\d[.,]){words}(?![\w])(?![.,]\d)", re.IGNORECASE)


def occurs(phrase: str, texts: Iterable[str]) -> bool:
    pattern = _pattern(phrase)
    return any(pattern.search(text) for text in texts)


def found(fact: Expected, texts: Sequence[str]) -> bool:
    """Every ``expect`` group has a string in the texts, and no ``forbid`` string is."""
    groups = all(any(occurs(s, texts) for s in group) for group in fact.expect)
    return groups and not any(occurs(s, texts) for s in fact.forbid)


def leaks(phrases: Sequence[str], texts: Sequence[str]) -> list[str]:
    """The interviewer-only phrases the texts contain."""
    return [p for p in phrases if occurs(p, texts)]
