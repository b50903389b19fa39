"""Quotes: the exact part of a turn a fact rests on.

A quote is the fact's sentence, narrowed to the clauses around what it is about when the
sentence is long, and starting after a self-correction when the sentence holds one (the
superseded value is never quoted). The fact's ``value`` may join what was said before the
correction to what replaced it ("it was 2020, no, sorry, 2021" -> "it was 2021").
"""

import itertools
import re
from dataclasses import dataclass

from contracts.summary import Evidence
from services.worker.summarizer.facts.spans import Span
from services.worker.summarizer.text import word_count

MAX_QUOTE_WORDS = 40
WINDOW_WORDS = 28
_CLAUSE_RE = re.compile(r"[,;:]\s+|\s+[—–]\s+|\s+-\s+")


@dataclass(frozen=True, slots=True)
class Quote:
    turn: int
    start: int
    end: int
    text: str
    """What the fact says: the quote, or the quote with a correction's context joined."""


def quote(
    span: Span,
    anchor: int | None = None,
    longest: int = MAX_QUOTE_WORDS,
    window: int = WINDOW_WORDS,
) -> Quote:
    """The quote for a fact in ``span``; ``anchor`` is a position in the turn text the
    quote must keep (a cue or a number). A sentence over ``longest`` words is narrowed to
    the clauses around the anchor, ``window`` words at most."""
    start, end, prefix = span.start, span.end, ""
    for correction in span.corrections:
        old, new = correction.old, correction.new
        if not span.start <= old[0] < span.end:
            continue
        if new[0] >= end:  # the replacement opens the next sentence: quote that one
            end = _sentence_end(span.turn_text, new[0])
        if not prefix:
            prefix = span.turn_text[span.start : old[0]]
        start = new[0]
    corrected_at = start if prefix.strip() else -1
    if anchor is not None and not start <= anchor < end:
        anchor = None
    start, end = _window(span.turn_text, (start, end), anchor, (longest, window))
    said = span.turn_text[start:end].rstrip()
    end = start + len(said)
    text = _joined(prefix, said) if start == corrected_at else said
    return Quote(span.turn, start, end, text.strip())


def evidence(span: Span, found: Quote) -> Evidence:
    return Evidence(
        turn=found.turn,
        quote=span.turn_text[found.start : found.end],
        speaker_role=span.role,
    )


def _joined(prefix: str, said: str) -> str:
    return f"{prefix.rstrip()} {said.lstrip()}"


def _sentence_end(text: str, position: int) -> int:
    match = re.compile(r"[.!?](?=\s|$)").search(text, position)
    return match.end() if match else len(text)


def _window(
    text: str, bounds: tuple[int, int], anchor: int | None, sizes: tuple[int, int]
) -> tuple[int, int]:
    """``bounds`` narrowed to whole clauses around ``anchor`` when too long."""
    (start, end), (longest, window) = bounds, sizes
    if word_count(text[start:end]) <= longest:
        return start, end
    cuts = [start] + [m.end() for m in _CLAUSE_RE.finditer(text, start, end)] + [end]
    clauses = [(a, b) for a, b in itertools.pairwise(cuts) if b > a]
    focus = anchor if anchor is not None else start
    index = next((i for i, (a, b) in enumerate(clauses) if a <= focus < b), 0)
    low = high = index
    while True:
        grown = False
        for lo, hi in ((low, high + 1), (low - 1, high)):
            if lo >= 0 and hi < len(clauses):
                size = word_count(text[clauses[lo][0] : clauses[hi][1]])
                if size <= window:
                    low, high, grown = lo, hi, True
        if not grown:
            break
    first, last = clauses[low][0], clauses[high][1]
    return first, last if high == len(clauses) - 1 else _trim_separator(text, first, last)


def _trim_separator(text: str, start: int, end: int) -> int:
    piece = text[start:end].rstrip(" ,;:—–-")
    return start + len(piece)
