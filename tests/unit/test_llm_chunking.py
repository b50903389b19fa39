"""Token estimates, chunk packing, digests and the combine loop of the LLM engine."""

import pytest

from contracts.types import Role
from services.worker.summarizer import Turn
from services.worker.summarizer.llm.chunking import (
    SEPARATOR,
    Budget,
    estimate_tokens,
    numbered_chunks,
    pack,
    pack_groups,
    split_text,
    turn_units,
)
from services.worker.summarizer.llm.digest import digest
from services.worker.summarizer.llm.mapreduce import combine


def test_estimate_takes_the_larger_of_chars_and_words() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a " * 100) == 130, "short words: 1.3 tokens a word"
    assert estimate_tokens("x" * 400) == 100, "one long blob: 4 chars a token"


def test_joined_estimate_never_exceeds_the_sum() -> None:
    parts = ["I led the migration.", "It took 9 months!", "x" * 37, "a b c d e f g"]
    joined = SEPARATOR.join(parts)
    assert estimate_tokens(joined) <= sum(estimate_tokens(p) for p in parts) + 2 * len(parts)


def test_budget_leaves_room_for_answer_prompt_and_error() -> None:
    assert Budget(8192, 1024).data_tokens(500) == int(8192 * 0.9) - 1024 - 500


def test_pack_keeps_order_and_text_and_stays_within_the_limit() -> None:
    units = [f"Sentence number {i} about Kafka consumers and retries." for i in range(200)]
    chunks = pack(units, 120)
    assert len(chunks) > 1
    assert all(estimate_tokens(c) <= 120 for c in chunks)
    assert SEPARATOR.join(chunks) == SEPARATOR.join(units)


def test_pack_groups_put_any_unit_alone_that_fills_the_limit() -> None:
    assert pack_groups(["a " * 75, "b", "c"], 100) == [[0], [1, 2]]


def test_a_long_text_is_split_between_sentences_then_words() -> None:
    text = "I built the billing API. " * 40 + "word " * 300 + "z" * 2000
    pieces = split_text(text, 60)
    assert all(estimate_tokens(p) <= 60 for p in pieces)
    words = " ".join(pieces).split()
    assert [w for w in words if "z" not in w] == text.split()[:-1], "no word is lost"
    assert "".join(w for w in words if "z" in w) == "z" * 2000, "a blob is cut, not dropped"
    assert pieces[0].endswith("API."), "cut after a sentence, not inside it"


def test_turn_units_label_the_speaker_and_mark_continuations() -> None:
    turns = [
        Turn(Role.INTERVIEWER, "Ivan", "Tell me about it?"),
        Turn(Role.CANDIDATE, "Casey", "I moved our queue to Kafka. " * 30),
    ]
    units = turn_units(turns, 80)
    assert units[0] == "Ivan (interviewer): Tell me about it?"
    assert units[1].startswith("Casey (candidate): I moved")
    assert len(units) > 2
    assert all(u.startswith("Casey (candidate): (cont.)") for u in units[2:])
    assert all(estimate_tokens(u) <= 80 for u in units)


def test_digest_drops_items_of_the_longest_section_first_then_cuts() -> None:
    points = [f"point {i} with a few more words" for i in range(20)]
    sections = [("Overview", ["The candidate led a migration."]), ("Key points", points)]
    text = digest("Part 1 of 3", sections, 60)
    assert estimate_tokens(text) <= 60
    assert text.startswith("Part 1 of 3\nOverview:\n- The candidate led a migration.")
    assert "point 0" in text
    assert "point 19" not in text
    tiny = digest("Part 1", [("Overview", ["word " * 200])], 20)
    assert estimate_tokens(tiny) <= 20
    assert tiny.endswith("…")


@pytest.mark.parametrize("count", [1, 2, 7, 40])
def test_combine_reduces_level_by_level_within_the_limit(count: int) -> None:
    calls: list[int] = []

    def reduce(data: str, n: int) -> str:
        assert estimate_tokens(data) <= 100
        calls.append(n)
        return f"merged({n})"

    def render(item: str, number: int, total: int, limit: int) -> str:
        return digest(f"Part {number} of {total}", [("Items", [item] * 10)], limit)

    result = combine([f"item {i}" for i in range(count)], render, reduce, 100)
    assert result == ("item 0" if count == 1 else f"merged({calls[-1]})")
    assert all(n >= 2 for n in calls), "a group of one is never sent alone"
    assert sum(n - 1 for n in calls) == count - 1, "each call merges n items into one"


def test_numbered_chunks_number_turns_from_one_and_map_them_back() -> None:
    turns = [
        (i, Turn(Role.CANDIDATE, "Casey", f"Answer {i}. " + "I moved our queue to Kafka. " * 9))
        for i in range(1, 40, 2)
    ]
    chunks = numbered_chunks(turns, 200)
    assert len(chunks) > 2
    assert all(estimate_tokens(c.text) <= 200 for c in chunks)
    for chunk in chunks:
        assert chunk.text.startswith("[1] Casey (candidate): ")
        for number, index in chunk.numbers.items():
            assert f"[{number}] Casey (candidate): Answer {index}." in chunk.text
    assert [i for c in chunks for i in c.numbers.values()] == [i for i, _ in turns]


def test_a_turn_split_across_chunks_is_turn_1_of_each() -> None:
    long = Turn(Role.CANDIDATE, "Casey", "I moved our queue to Kafka. " * 60)
    chunks = numbered_chunks([(4, long)], 150)
    assert len(chunks) > 1
    assert all(chunk.numbers == {1: 4} for chunk in chunks)
    assert all(c.text.startswith("[1] Casey (candidate): (cont.) I moved") for c in chunks[1:])
