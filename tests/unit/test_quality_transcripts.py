"""Quality of the built-in engine on the interview transcripts in tests/data/transcripts."""

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from contracts.summary import SessionSummary
from contracts.types import Mode, Role
from services.worker.summarizer import ExtractiveSummarizer
from services.worker.summarizer.lead import MAX_KEY_POINT_WORDS, MAX_KEY_POINTS
from services.worker.summarizer.text import stem, tokenize, word_count
from tests.transcripts import load_transcripts, to_source

TRANSCRIPTS = load_transcripts()
IDS = [d["slug"] for d in TRANSCRIPTS]
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_FILLER_PREFIX = re.compile(
    r"^(?:\W|um+|uh+|er|erm|hmm|ah|so|well|okay|ok|yeah|yes|right|like|oh|and|but|anyway"
    r"|basically|honestly|you know|i mean)*$",
    re.IGNORECASE,
)


@cache
def _summary(slug: str) -> SessionSummary:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    return ExtractiveSummarizer().summarize_session(to_source(doc))


def _readable_lines(doc: dict[str, Any]) -> list[str]:
    """Lines of the turns the transcript's mode reads."""
    turns = doc["turns"]
    if doc["mode"] == Mode.SELF_REPORT.value:
        turns = [t for t in turns if t["role"] == Role.CANDIDATE.value]
    return [line for t in turns for line in t["text"].splitlines()]


def _is_whole_sentence(sentence: str, lines: list[str]) -> bool:
    """``sentence`` occurs in a line (its first letter may have been capitalized after
    leading fillers were dropped), starts after a sentence boundary or fillers only, and
    ends with terminal punctuation or at the end of the line."""
    for line in lines:
        for form in {sentence, sentence[:1].lower() + sentence[1:]}:
            start = line.find(form)
            while start >= 0:
                before = re.split(r"(?<=[.!?…])\s", line[:start])[-1]
                rest = line[start + len(form) :]
                ends = bool(_TERMINAL.search(sentence)) or not rest.strip()
                if _FILLER_PREFIX.match(before) and ends:
                    return True
                start = line.find(form, start + 1)
    return False


def test_the_data_set_is_varied_enough() -> None:
    words = [sum(word_count(t["text"]) for t in d["turns"]) for d in TRANSCRIPTS]
    assert len(TRANSCRIPTS) >= 8
    assert all(500 <= n <= 6000 for n in words), words
    assert sum(n > 3000 for n in words) >= 2
    assert {d["mode"] for d in TRANSCRIPTS} == {m.value for m in Mode}
    candidates = [d["candidate_id"] for d in TRANSCRIPTS]
    assert max(candidates.count(c) for c in candidates) >= 2
    for doc in TRANSCRIPTS:
        assert 2 <= len(doc["facts"]) <= 4
        assert doc["occurred_at"].endswith("Z")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("slug", IDS)
def test_facts_are_in_the_summary(slug: str) -> None:
    """Found in any of the summary's texts, the structured facts included."""
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    found = "\n".join(_strings(_summary(slug).model_dump(mode="json"))).lower()
    assert [f for f in doc["facts"] if f.lower() not in found] == []


@pytest.mark.parametrize("slug", IDS)
def test_overview_holds_three_to_six_whole_source_sentences(slug: str) -> None:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    summary = _summary(slug)
    assert 3 <= len(summary.overview) <= 6
    lines = _readable_lines(doc)
    for sentence in summary.overview:
        assert _is_whole_sentence(sentence, lines), sentence


@pytest.mark.parametrize("slug", IDS)
def test_key_points_are_whole_sentences_the_overview_does_not_repeat(slug: str) -> None:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    summary = _summary(slug)
    lines = _readable_lines(doc)
    assert 1 <= len(summary.key_points) <= MAX_KEY_POINTS
    points = {k.lower() for k in summary.key_points}
    assert len(points) == len(summary.key_points)
    assert not points & {o.lower() for o in summary.overview}
    for point in summary.key_points:
        assert word_count(point) <= MAX_KEY_POINT_WORDS, point
        assert _is_whole_sentence(point, lines), point


@pytest.mark.parametrize("slug", IDS)
def test_every_fact_quotes_its_turn(slug: str) -> None:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    facts = _summary(slug).model_dump(mode="json")["facts"]
    items = [item for group in facts.values() for item in group]
    assert items
    for item in items:
        turn = doc["turns"][item["evidence"]["turn"]]
        assert item["evidence"]["quote"] in turn["text"]
        assert item["evidence"]["speaker_role"] == turn["role"]


@pytest.mark.parametrize("slug", [d["slug"] for d in TRANSCRIPTS if d["mode"] == "SELF_REPORT"])
def test_self_report_never_quotes_the_interviewer(slug: str) -> None:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    asked = [t["text"] for t in doc["turns"] if t["role"] == Role.INTERVIEWER.value]
    said = [t["text"] for t in doc["turns"] if t["role"] == Role.CANDIDATE.value]
    summary = _summary(slug)
    for line in summary.overview:
        assert _is_whole_sentence(line, said)
        assert not any(line[1:] in text for text in asked)
    for point in summary.key_points:
        assert not any(point[1:].lower() in text.lower() for text in asked), point


@pytest.mark.parametrize("slug", IDS)
def test_topics_are_ranked_distinct_key_phrases(slug: str) -> None:
    topics = _summary(slug).topics
    assert 3 <= len(topics) <= 10
    keys = [tuple(stem(w) for w in tokenize(t)) for t in topics]
    for i, key in enumerate(keys):
        assert len(set(key)) == len(key), topics[i]
        for other in keys[i + 1 :]:
            assert not set(key) <= set(other), (key, other)
            assert not set(other) <= set(key), (key, other)


@pytest.mark.parametrize("slug", IDS)
def test_speaker_shares_add_up(slug: str) -> None:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    summary = _summary(slug)
    assert sum(s.share for s in summary.speakers) == pytest.approx(1.0)
    assert sum(s.turns for s in summary.speakers) == len(doc["turns"])


def test_notes_summary_keeps_the_recommendation() -> None:
    summary = _summary("sre-hiring-manager-notes")
    assert summary.mode is Mode.NOTES
    assert any(s.startswith("Recommendation:") for s in summary.overview)


def test_output_does_not_depend_on_the_hash_seed() -> None:
    """Same transcripts, two interpreters with different hash seeds: identical JSON."""
    script = (
        "from tests.transcripts import load_transcripts, to_source\n"
        "from services.worker.summarizer import ExtractiveSummarizer\n"
        "e = ExtractiveSummarizer()\n"
        "for d in load_transcripts():\n"
        "    print(e.summarize_session(to_source(d)).model_dump_json())\n"
    )
    root = Path(__file__).resolve().parents[2]
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    summaries = [json.loads(line) for line in outputs[0].splitlines()]
    assert len(summaries) == len(TRANSCRIPTS)
