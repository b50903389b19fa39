"""A model's quote found in the turn it cites, and the facts built from it."""

import pytest

from contracts.types import Mode, Role
from services.worker.summarizer.base import Turn
from services.worker.summarizer.llm.errors import UngroundedAnswer
from services.worker.summarizer.llm.grounding import Grounding, ground_facts
from services.worker.summarizer.llm.parsing import FactItem, FactsAnswer
from services.worker.summarizer.llm.quotes import locate

TURN = "Um, so I  led the\nPayments team — we cut deploys from 45 minutes to 8. I’m a Java dev."


@pytest.mark.parametrize(
    ("quote", "span"),
    [
        ("i led the payments team", "I  led the\nPayments team"),
        ('"We cut deploys from 45 minutes to 8."', "we cut deploys from 45 minutes to 8"),
        ("...led the Payments team...", "led the\nPayments team"),
        ("I'm a Java dev", "I’m a Java dev"),
        ("team - we cut", "team — we cut"),
    ],
)
def test_a_quote_copied_loosely_gives_the_turn_s_own_span(quote: str, span: str) -> None:
    assert locate(quote, TURN) == span
    assert span in TURN


@pytest.mark.parametrize(
    "quote",
    ["we cut deploys from 45 minutes to 9", "ava", "I", "...", "Payments team we cut"],
)
def test_what_the_turn_does_not_say_is_not_found(quote: str) -> None:
    assert locate(quote, TURN) is None


def _facts(**lists: list[FactItem]) -> FactsAnswer:
    return FactsAnswer(**lists)  # type: ignore[arg-type]


def test_self_report_evidence_from_an_interviewer_turn_is_refused() -> None:
    turns = {1: (0, Turn(Role.INTERVIEWER, "Ivan", "The band is 120 to 140k."))}
    answer = _facts(statements=[FactItem(value="band", turn=1, quote="120 to 140k")])
    assert ground_facts(answer, turns, Mode.INTERVIEW).statements[0].evidence.turn == 0
    with pytest.raises(UngroundedAnswer, match="turn 1 is not the candidate's"):
        ground_facts(answer, turns, Mode.SELF_REPORT)


def test_numbers_are_compared_as_values_however_written() -> None:
    check = Grounding("We went from forty-five minutes to 8, and the band is 120 to 140k.", "")
    check.check(["From 45 minutes to eight.", "A band of $120,000 to 140k."], ["45 min"])
    with pytest.raises(UngroundedAnswer, match="46 is not in the transcript"):
        check.check(["From 46 minutes."], [])


def test_echoes_of_the_instructions_are_refused_unless_the_material_says_them() -> None:
    told = 'List "key_points": up to eight short phrases, each with one specific fact.'
    check = Grounding("I wrote up to eight short phrases, each with one line.", told)
    check.check(["Up to eight short phrases, each with one line."], ["phrases"])
    with pytest.raises(UngroundedAnswer, match="repeats the instructions"):
        check.check(["Short phrases, each with one specific fact."], [])
    with pytest.raises(UngroundedAnswer, match="repeats the instructions"):
        check.check(["specific fact"], [])
    with pytest.raises(UngroundedAnswer, match="field name"):
        check.check([], ["Key points"])
