"""Combine many partial answers into one, in as few model calls as the budget allows."""

from collections.abc import Callable, Sequence
from typing import TypeVar

from services.worker.summarizer.llm.chunking import SEPARATOR, SEPARATOR_TOKENS, pack_groups

T = TypeVar("T")

Digest = Callable[[T, int, int, int], str]
"""``(item, number, count, limit)`` -> the item as text of at most ``limit`` tokens."""
Reduce = Callable[[str, int], T]
"""``(joined digests, how many)`` -> one item made from them."""


def combine(items: Sequence[T], digest: Digest[T], reduce: Reduce[T], limit: int) -> T:
    """Reduce ``items`` level by level until one is left.

    Each digest gets at most half of ``limit``, so any two neighbours fit one request and
    every level shrinks; a group of one is passed on without a call.
    """
    if not items:
        raise ValueError("nothing to combine")
    level = list(items)
    share = (limit - SEPARATOR_TOKENS) // 2
    while len(level) > 1:
        texts = [digest(item, i + 1, len(level), share) for i, item in enumerate(level)]
        level = [
            level[group[0]]
            if len(group) == 1
            else reduce(SEPARATOR.join(texts[i] for i in group), len(group))
            for group in pack_groups(texts, limit)
        ]
    return level[0]
