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
from services.worker.summarizer.keypoints import MAX_WORDS
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


@pytest.mark.parametrize("slug", IDS)
def test_facts_are_in_the_overview_or_key_points(slug: str) -> None:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    summary = _summary(slug)
    found = " ".join(summary.overview + summary.key_points).lower()
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
def test_key_points_are_short_and_made_of_source_words(slug: str) -> None:
    doc = next(d for d in TRANSCRIPTS if d["slug"] == slug)
    summary = _summary(slug)
    source_words = {t for line in _readable_lines(doc) for t in tokenize(line)}
    assert 1 <= len(summary.key_points) <= 8
    assert len({k.lower() for k in summary.key_points}) == len(summary.key_points)
    for point in summary.key_points:
        assert word_count(point.rstrip(" …")) <= MAX_WORDS + 8, point
        assert set(tokenize(point)) <= source_words, point


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


def test_twenty_thousand_words_well_under_a_second() -> None:
    """A loose guard (the figures are in bench/summarizer.py)."""
    import time

    from services.worker.summarizer import SessionSource, Turn

    turns = [
        Turn(role=Role(t["role"]), speaker=t["speaker"], text=t["text"])
        for d in TRANSCRIPTS
        for t in d["turns"]
    ]
    while sum(word_count(t.text) for t in turns) < 20_000:
        turns = turns * 2
    source = SessionSource(session_id="big", candidate_id="c", mode=Mode.INTERVIEW, turns=turns)
    engine = ExtractiveSummarizer()
    started = time.perf_counter()
    engine.summarize_session(source)
    assert time.perf_counter() - started < 2.0
