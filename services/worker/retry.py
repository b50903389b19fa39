"""Retry delays: exponential backoff with optional jitter, capped."""

import random


def backoff_delay(
    retries: int, base: float, cap: float, jitter: float = 0.0, rand: random.Random | None = None
) -> float:
    """Delay before retry number ``retries + 1``: ``base * 2**retries`` (60, 120, 240 s by
    default), plus up to ``jitter`` of it at random, never above ``cap``."""
    delay = min(cap, base * 2.0**retries)
    if jitter:
        delay += delay * jitter * (rand or random).random()
    return min(cap, delay)
