"""Key points: a sentence compressed to its best run of whole clauses (<= 20 words)."""

import re
from collections.abc import Callable

from services.worker.summarizer.text import (
    is_content,
    remove_fillers,
    stem,
    strip_leading_filler,
    tokenize,
    word_count,
)

MAX_WORDS = 20
_LONG_CLAUSE = 28
_MIN_WORDS = 4
_SUBJECTS = r"(?:i|i'm|i've|i'd|we|we're|we've|he|she|they|it|it's|there)"
_SEPARATOR_RE = re.compile(
    rf"[,;:]\s+|\s+[—–]\s+|\s+(?=(?:and|but|so)\s+{_SUBJECTS}\b)", re.IGNORECASE
)
_SUBORDINATE_RE = re.compile(
    r"^(?:when|if|because|although|though|while|after|before|since|as|once|until|unless)\b",
    re.IGNORECASE,
)
_OPENER_RE = re.compile(rf"^(?:(?:and|but|so|then)\s+)?{_SUBJECTS}\b", re.IGNORECASE)
_LEADING_LINK_RE = re.compile(r"^(?:and|but|so|then|also|plus)\s+", re.IGNORECASE)


def key_point(sentence: str, weight: Callable[[str], float]) -> str:
    """``sentence`` without fillers, cut to its best whole clauses when longer than
    ``MAX_WORDS``; ``weight`` scores a stemmed term. No trailing period.

    A cut keeps the sentence's opening clause, or starts at a clause with its own
    subject ("..., and we moved ..."), so the point reads as a statement."""
    text = remove_fillers(strip_leading_filler(sentence)).rstrip(" .!;:,")
    if word_count(text) <= MAX_WORDS:
        return _capitalized(text)
    spans = _clauses(text)
    best: tuple[float, int, int] | None = None
    for i in range(len(spans)):
        opening = text[spans[i][0] :]
        if i and not _OPENER_RE.match(opening):
            continue
        subordinate = _SUBORDINATE_RE.match(opening) is not None
        for j in range(i, len(spans)):
            piece = text[spans[i][0] : spans[j][1]]
            words = word_count(piece)
            if words > MAX_WORDS and not (i == j and words <= _LONG_CLAUSE):
                break
            if words < _MIN_WORDS or (subordinate and j == i):
                continue
            score = sum(weight(stem(t)) for t in tokenize(piece) if is_content(t))
            if best is None or score > best[0]:
                best = (score, i, j)
    if best is None:
        return _capitalized(" ".join(text.split()[:MAX_WORDS]).rstrip(",;:") + " …")
    piece = text[spans[best[1]][0] : spans[best[2]][1]].rstrip(" ,;:—–")
    return _capitalized(_LEADING_LINK_RE.sub("", piece))


def _clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses of ``text`` (the text between separators)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SEPARATOR_RE.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _capitalized(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]
