"""Token estimates, budgets, and splitting text into chunks that fit one request.

Tokens are estimated without a tokenizer as ``ceil(max(chars / 4, words * 1.3))``: about
four characters or 1.3 words per token for English with common BPE vocabularies, the larger
of the two so dense text (numbers, code, long words) is not under-counted. The estimate of
joined texts never exceeds the sum of their estimates, so packing by summing is safe. A
``SAFETY`` share of the context window is kept free for the estimate's error.

A transcript is sent as numbered turns (``[2] Casey (candidate): ...``), numbered from 1 in
each chunk so the model cites small numbers; each chunk maps them back to the session.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.worker.summarizer.base import Turn
from services.worker.summarizer.text import split_sentences

CHARS_PER_TOKEN = 4.0
TOKENS_PER_WORD = 1.3
SAFETY = 0.9
"""Share of the context window the estimate may fill."""
MESSAGE_TOKENS = 4
"""Per-message framing the chat format adds (role, separators)."""
SEPARATOR = "\n\n"
SEPARATOR_TOKENS = 2
"""What ``pack_groups`` counts for one separator (its estimate, rounded up, plus one)."""
LABEL_CHARS = 60
"""Speaker names are cut to this length in the text sent."""


def estimate_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (see the module docstring)."""
    return _estimate(len(text), len(text.split()))


@dataclass(frozen=True, slots=True)
class Budget:
    """A model's context window and the answer size asked for in every request."""

    context_tokens: int
    max_output_tokens: int

    def data_tokens(self, overhead: int) -> int:
        """Tokens left for the text to summarize once ``overhead`` (prompts) is sent."""
        usable = math.floor(self.context_tokens * SAFETY)
        return usable - self.max_output_tokens - overhead


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive turns as sent in one request."""

    text: str
    numbers: dict[int, int] = field(default_factory=dict)
    """The number a turn is shown with -> its index in the session's turns."""


def numbered_chunks(turns: Sequence[tuple[int, Turn]], limit: int) -> list[Chunk]:
    """``turns`` (session index, turn) as ``turn_units`` in chunks of at most ``limit``
    tokens, each unit opened by its turn's number (a split turn keeps its number)."""
    widest = f"[{len(turns)}]"
    room = limit - estimate_tokens(widest)
    units = [(index, unit) for index, turn in turns for unit in turn_units([turn], room)]
    sized = [f"{widest} {unit}" for _, unit in units]
    chunks: list[Chunk] = []
    for group in pack_groups(sized, limit):
        shown: dict[int, int] = {}
        lines = []
        for i in group:
            index, unit = units[i]
            number = shown.setdefault(index, len(shown) + 1)
            lines.append(f"[{number}] {unit}")
        chunks.append(Chunk(SEPARATOR.join(lines), {n: i for i, n in shown.items()}))
    return chunks


def pack(units: Sequence[str], limit: int) -> list[str]:
    """Consecutive ``units`` joined into as few chunks of at most ``limit`` tokens as can be.

    Each unit must fit on its own (see ``split_text``); order is kept.
    """
    return [SEPARATOR.join(units[i] for i in group) for group in pack_groups(units, limit)]


def pack_groups(units: Sequence[str], limit: int) -> list[list[int]]:
    """The indices of ``units`` in consecutive groups whose joined text fits ``limit``."""
    groups: list[list[int]] = []
    used = 0
    for index, unit in enumerate(units):
        size = estimate_tokens(unit)
        if groups and used + SEPARATOR_TOKENS + size <= limit:
            groups[-1].append(index)
            used += SEPARATOR_TOKENS + size
        else:
            groups.append([index])
            used = size
    return groups


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` tokens, cut between sentences where it can,
    between words otherwise (and inside a word longer than a whole piece)."""
    if estimate_tokens(text) <= limit:
        return [text]
    parts: list[str] = []
    for sentence in split_sentences(text) or [text]:
        if estimate_tokens(sentence) <= limit:
            parts.append(sentence)
        else:
            parts.extend(p for word in sentence.split() for p in _chop(word, limit))
    return _join(parts, limit)


def turn_units(turns: Sequence[Turn], limit: int) -> list[str]:
    """Each turn as ``Speaker (role): text``; a turn over ``limit`` becomes several units,
    the later ones marked ``(cont.)``."""
    units: list[str] = []
    for turn in turns:
        label = f"{turn.speaker[:LABEL_CHARS]} ({turn.role.value}):"
        text = "\n".join(line.strip() for line in turn.text.strip().splitlines() if line.strip())
        room = limit - estimate_tokens(label + " (cont.) ")
        for i, piece in enumerate(split_text(text, room)):
            units.append(f"{label} {piece}" if i == 0 else f"{label} (cont.) {piece}")
    return units


def _chop(word: str, limit: int) -> list[str]:
    """``word`` in slices that fit ``limit`` (only absurd "words", such as blobs, are cut)."""
    size = max(1, int(limit * CHARS_PER_TOKEN))
    return [word[i : i + size] for i in range(0, len(word), size)]


def _join(parts: Sequence[str], limit: int) -> list[str]:
    """``parts`` (each within ``limit``) joined with spaces into pieces within it."""
    pieces: list[str] = []
    chars = words = 0
    for part in parts:
        more_chars, more_words = len(part) + 1, len(part.split())
        if pieces and _estimate(chars + more_chars, words + more_words) <= limit:
            pieces[-1] = f"{pieces[-1]} {part}"
            chars, words = chars + more_chars, words + more_words
        else:
            pieces.append(part)
            chars, words = len(part), more_words
    return pieces


def _estimate(chars: int, words: int) -> int:
    return math.ceil(max(chars / CHARS_PER_TOKEN, words * TOKENS_PER_WORD))
