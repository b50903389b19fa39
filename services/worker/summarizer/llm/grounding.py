"""Holding an answer to the material it was given; ``UngroundedAnswer`` otherwise.

* Every number the model writes in its own words (overview, key points, topics, a fact's
  value) is one the material says, in digits or in words ("forty-five" grounds "45"); a
  lone "one" is too common to check.
* No text of the answer repeats the prompt's instructions: a run of ``ECHO_WORDS`` words
  that the instructions hold and the material does not is an echo, and so is a shorter
  sentence or phrase copied whole from them, or a topic that is one of the answer's
  field names ("key_points"), unless the material says it too (a small model may answer
  with the prompt's own description of a field, or with the field names).
* A profile does not repeat a value a later session superseded (``profile.Current``).
* Every fact cites a numbered turn of its chunk (in SELF_REPORT only the candidate's),
  its quote is in that turn (see ``quotes``), and its value does not carry a number the
  speaker corrected in that turn.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contracts.summary import (
    Achievement,
    Constraint,
    Evidence,
    Fact,
    FactKind,
    Quantity,
    SessionFacts,
)
from contracts.types import Mode, Role
from services.worker.summarizer.base import Turn
from services.worker.summarizer.facts.corrections import find_corrections
from services.worker.summarizer.facts.numbers import Number, find_numbers
from services.worker.summarizer.facts.quantities import measure
from services.worker.summarizer.llm.errors import UngroundedAnswer
from services.worker.summarizer.llm.parsing import FactItem, FactsAnswer
from services.worker.summarizer.llm.quotes import locate
from services.worker.summarizer.llm.schemas import FIELD_NAMES
from services.worker.summarizer.profile import Current
from services.worker.summarizer.text import tokenize

ECHO_WORDS = 5
SHOWN_CHARS = 80
"""How much of an offending text the reason quotes back."""
_DIGITS_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


class Grounding:
    """The checks of an answer's own words against ``material`` and ``instructions``."""

    def __init__(
        self,
        material: str,
        instructions: str,
        figures: Iterable[float] = (),
        superseded: Sequence[str] = (),
    ) -> None:
        """``figures``: numbers the request states besides its material (a session count);
        ``superseded``: values a later session changed, which the answer must not repeat."""
        self._numbers = _said_numbers(material) | {round(f, 6) for f in figures}
        self._current = Current(superseded)
        said, told = tokenize(material), tokenize(instructions)
        self._said = f" {' '.join(said)} "
        self._told = f" {' '.join(told)} "
        self._echoes = _runs(told) - _runs(said)

    def check(self, prose: Iterable[str], labels: Iterable[str]) -> None:
        """``prose``: sentences and phrases; ``labels``: topics and other short names."""
        for text in prose:
            self._check(text, whole=True)
        for text in labels:
            if "_".join(text.lower().split()) in FIELD_NAMES and not self._says(text):
                raise UngroundedAnswer(f'"{_cut(text)}" is a field name, not a topic')
            self._check(text, whole=False)

    def _check(self, text: str, *, whole: bool) -> None:
        if not self._current([text]):
            raise UngroundedAnswer(f'"{_cut(text)}" repeats a value a later session changed')
        words = tokenize(text)
        copied = any(run in self._echoes for run in _runs(words))
        if whole and 0 < len(words) < ECHO_WORDS:
            copied = _holds(self._told, words) and not _holds(self._said, words)
        if copied:
            raise UngroundedAnswer(f'"{_cut(text)}" repeats the instructions')
        for number in find_numbers(text):
            if not number.weak and not _values([number]) <= self._numbers:
                said = text[number.start : number.end]
                raise UngroundedAnswer(f'"{_cut(text)}": {said} is not in the transcript')

    def _says(self, text: str) -> bool:
        return _holds(self._said, tokenize(text))


def ground_facts(
    answer: FactsAnswer, turns: Mapping[int, tuple[int, Turn]], mode: Mode
) -> SessionFacts:
    """The contract's facts from ``answer``, whose turn numbers ``turns`` maps (number
    shown -> the turn's index in the session, and the turn); each quote becomes the exact
    span of the turn it copies."""
    cite = _Citing(turns, mode)

    def plain(name: str, items: Sequence[FactItem]) -> list[Fact]:
        return [Fact(**cite(item, f"facts.{name}.{i}")) for i, item in enumerate(items)]

    return SessionFacts(
        role=plain("role", answer.role),
        experience=plain("experience", answer.experience),
        achievements=[
            Achievement(**cite(item, f"facts.achievements.{i}"), direction=item.direction)
            for i, item in enumerate(answer.achievements)
        ],
        motivation=plain("motivation", answer.motivation),
        reason_for_leaving=plain("reason_for_leaving", answer.reason_for_leaving),
        constraints=[
            Constraint(**cite(item, f"facts.constraints.{i}"), kind=FactKind(item.kind))
            for i, item in enumerate(answer.constraints)
        ],
        skills=plain("skills", answer.skills),
        statements=plain("statements", answer.statements),
    )


class _Citing:
    def __init__(self, turns: Mapping[int, tuple[int, Turn]], mode: Mode) -> None:
        self.turns = turns
        self.mode = mode

    def __call__(self, item: FactItem, where: str) -> dict[str, Any]:
        """The fields every fact has: value, quantities (from the quote), evidence."""
        if item.turn not in self.turns:
            raise UngroundedAnswer(f"{where}: turn {item.turn} is not a numbered turn")
        index, turn = self.turns[item.turn]
        if self.mode is Mode.SELF_REPORT and turn.role is not Role.CANDIDATE:
            raise UngroundedAnswer(f"{where}: turn {item.turn} is not the candidate's")
        quote = locate(item.quote, turn.text)
        if quote is None:
            raise UngroundedAnswer(
                f'{where}: the quote "{_cut(item.quote)}" is not in turn {item.turn}'
            )
        taken_back = _taken_back(turn.text) & _values(find_numbers(item.value))
        if taken_back:
            figures = ", ".join(f"{v:g}" for v in sorted(taken_back))
            raise UngroundedAnswer(
                f"{where}: turn {item.turn} corrects {figures}; use the correction"
            )
        return {
            "value": item.value,
            "quantities": _quantities(quote),
            "evidence": Evidence(turn=index, quote=quote, speaker_role=turn.role),
        }


def _values(numbers: Iterable[Number]) -> set[float]:
    """Each number's value (and a range's upper end), rounded so equal figures compare equal."""
    values = set()
    for number in numbers:
        values.add(round(number.value, 6))
        if number.high is not None:
            values.add(round(number.high, 6))
    return values


def _said_numbers(text: str) -> set[float]:
    """The numbers ``text`` says, and its digits as written ("120" of "120k")."""
    digits = {round(float(m.group().replace(",", "")), 6) for m in _DIGITS_RE.finditer(text)}
    return _values(find_numbers(text)) | digits


def _taken_back(text: str) -> set[float]:
    """Values the speaker corrected in ``text`` and did not also say uncorrected."""
    numbers = find_numbers(text)
    old = {c.old for c in find_corrections(text, numbers)}
    superseded = _values(n for n in numbers if (n.start, n.end) in old)
    return superseded - _values(n for n in numbers if (n.start, n.end) not in old)


def _quantities(quote: str) -> list[Quantity]:
    numbers = find_numbers(quote)
    old = {c.old for c in find_corrections(quote, numbers)}
    return [
        measure(quote, n).quantity(quote)
        for n in numbers
        if not n.weak and (n.start, n.end) not in old
    ]


def _holds(joined: str, words: Sequence[str]) -> bool:
    """``words`` run together in ``joined`` (tokens joined by spaces, padded with one)."""
    return f" {' '.join(words)} " in joined


def _runs(words: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
