"""Self-corrections: "2020, no, sorry, 2021", "twelve, well, fourteen", "in Leeds, I mean
Manchester". The first value is superseded: a summary must carry the second, never the
first.

A correction is two values of the same kind (two numbers, or two capitalized names) with
only a correction marker between them. "well", "I mean" and "actually" are also fillers,
so between names they need a stronger marker ("no", "sorry") to count.
"""

import itertools
import re
from dataclasses import dataclass

from services.worker.summarizer.facts.numbers import Number, find_numbers
from services.worker.summarizer.facts.quantities import measure

_MARKER = (
    r"no|nope|sorry|wait|well|actually|i mean|or rather|rather|correction|scratch that"
    r"|let me correct(?: myself| that)?|make (?:it|that)|oh|hang on|uh|um|er"
)
_LEAD = (
    r"(?:it was|it's|it is|that's|that was|more like|closer to|about|around|like|i think|since|"
    r"in|from|to|at|for|maybe|probably|actually)"
)
_GAP_RE = re.compile(
    rf"^[\s,;:.…—–-]*(?:(?:{_MARKER})\b[\s,;:.…—–-]*)+(?:{_LEAD}\b[\s,]*)?$", re.IGNORECASE
)
_STRONG_RE = re.compile(r"\b(?:no|nope|sorry|correction|scratch that|rather|correct)\b", re.I)
_SAYS_RE = re.compile(
    r"\b(?:no|nope|sorry|wait|well|actually|mean|rather|correction|scratch|correct|make)\b", re.I
)
_NAME_RE = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*\b")
_WINDOW = 40
"""Characters between the two values at most."""


@dataclass(frozen=True, slots=True)
class Correction:
    old: tuple[int, int]
    """The superseded value's span."""
    new: tuple[int, int]
    """The value that replaces it."""


def find_corrections(text: str, numbers: list[Number] | None = None) -> list[Correction]:
    """The self-corrections in ``text``, in order."""
    numbers = find_numbers(text) if numbers is None else numbers
    found = [
        Correction((a.start, a.end), (b.start, b.end))
        for a, b in itertools.pairwise(numbers)
        if _corrects(text[measure(text, a).end : b.start], strong=False)
    ]
    names = [m for m in _NAME_RE.finditer(text) if not _sentence_start(text, m)]
    found += [
        Correction((a.start(), a.end()), (b.start(), b.end()))
        for a, b in itertools.pairwise(names)
        if _corrects(text[a.end() : b.start()], strong=True)
    ]
    return sorted(found, key=lambda c: c.old)


def _corrects(gap: str, *, strong: bool) -> bool:
    if len(gap) > _WINDOW or "\n" in gap or not _GAP_RE.match(gap):
        return False
    return bool((_STRONG_RE if strong else _SAYS_RE).search(gap))


def _sentence_start(text: str, match: re.Match[str]) -> bool:
    """A capital that only opens a sentence is no name ("Sorry, No, ...")."""
    before = text[: match.start()].rstrip()
    return not before or before[-1] in ".!?"


def superseded(text: str, corrections: list[Correction]) -> list[str]:
    """The superseded values as said."""
    return [text[a:b] for a, b in (c.old for c in corrections)]
