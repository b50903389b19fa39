"""Profile summaries: recurring topics, timeline, highlights, overview, coverage."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from contracts.types import Mode
from services.worker.summarizer import ExtractiveSummarizer, NothingToSummarize, SessionWithSummary
from services.worker.summarizer.fake import FakeSummarizer
from services.worker.summarizer.profile import GIST_CHARS, trim
from tests.transcripts import load_transcripts, to_source

CANDIDATE = "c-dokafor"


def _sessions(engine: ExtractiveSummarizer | FakeSummarizer) -> list[SessionWithSummary]:
    docs = [d for d in load_transcripts() if d["candidate_id"] == CANDIDATE]
    sources = [to_source(d) for d in reversed(docs)]
    return [SessionWithSummary(source=s, summary=engine.summarize_session(s)) for s in sources]


@pytest.fixture(scope="module")
def sessions() -> list[SessionWithSummary]:
    return _sessions(ExtractiveSummarizer())


def test_recurring_topics_name_what_the_sessions_share(sessions: list[SessionWithSummary]) -> None:
    profile = ExtractiveSummarizer().summarize_profile(CANDIDATE, sessions)
    counts = {t.topic.lower(): t.count for t in profile.recurring_topics}
    assert counts["kubernetes"] >= 2
    assert counts["stakeholder management"] >= 2
    ordered = [t.count for t in profile.recurring_topics]
    assert ordered == sorted(ordered, reverse=True)
    assert all(1 <= t.count <= len(sessions) for t in profile.recurring_topics)
    assert any("Kubernetes (3 sessions)" in line for line in profile.overview)


def test_timeline_is_dated_in_order_with_one_line_gists(
    sessions: list[SessionWithSummary],
) -> None:
    undated = replace(sessions[0], source=replace(sessions[0].source, occurred_at=None))
    profile = ExtractiveSummarizer().summarize_profile(CANDIDATE, [undated, *sessions[1:]])
    dates = [entry.date for entry in profile.timeline]
    assert dates[-1] is None
    assert dates[:-1] == sorted(d for d in dates if d is not None)
    by_id = {s.source.session_id: s.summary for s in sessions}
    for entry in profile.timeline:
        assert len(entry.gist) <= GIST_CHARS
        assert "\n" not in entry.gist
        assert any(s.startswith(entry.gist.rstrip("…")) for s in by_id[entry.session_id].overview)
        assert entry.mode is by_id[entry.session_id].mode


def test_highlights_overview_and_coverage(sessions: list[SessionWithSummary]) -> None:
    profile = ExtractiveSummarizer().summarize_profile(CANDIDATE, sessions)
    assert 1 <= len(profile.highlights) <= 6
    assert len({h.lower() for h in profile.highlights}) == len(profile.highlights)
    pool = {line for s in sessions for line in s.summary.key_points + s.summary.overview}
    assert set(profile.highlights) <= pool
    assert 2 <= len(profile.overview) <= 4
    assert profile.overview[0].startswith("3 sessions summarized")
    assert profile.coverage.sessions == 3
    assert profile.coverage.words == sum(s.summary.source.words for s in sessions)
    assert (profile.engine, profile.candidate_id) == ("extractive", CANDIDATE)


def test_profile_is_deterministic(sessions: list[SessionWithSummary]) -> None:
    engine = ExtractiveSummarizer()
    first = engine.summarize_profile(CANDIDATE, sessions)
    assert engine.summarize_profile(CANDIDATE, list(sessions)).model_dump() == first.model_dump()


@pytest.mark.parametrize("engine", [ExtractiveSummarizer(), FakeSummarizer()])
def test_no_sessions_raises(engine: ExtractiveSummarizer | FakeSummarizer) -> None:
    with pytest.raises(NothingToSummarize, match="candidate has no sessions to summarize"):
        engine.summarize_profile(CANDIDATE, [])


def test_fake_profile_is_valid_and_quick() -> None:
    fake = FakeSummarizer()
    profile = fake.summarize_profile(CANDIDATE, _sessions(fake))
    assert profile.engine == "fake"
    assert len(profile.timeline) == 3
    assert profile.coverage.sessions == 3


def test_single_session_without_dates() -> None:
    doc = next(d for d in load_transcripts() if d["slug"] == "product-designer")
    source = replace(to_source(doc), occurred_at=None)
    engine = ExtractiveSummarizer()
    only = SessionWithSummary(source=source, summary=engine.summarize_session(source))
    profile = engine.summarize_profile(doc["candidate_id"], [only])
    assert profile.overview[0] == "1 session summarized (1 interview)."
    assert profile.overview[1].startswith("Main topics: ")
    assert profile.timeline[0].date is None
    assert profile.timeline[0].mode is Mode.INTERVIEW


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short", "short"),
        ("word " * 40, ("word " * 32).strip() + "…"),
        ("x" * 200, "x" * 159 + "…"),
        ("word " * 31 + "longerword more", ("word " * 31).strip() + "…"),
    ],
)
def test_trim_cuts_at_a_word_boundary(text: str, expected: str) -> None:
    trimmed = trim(text.strip() if text != "short" else text, GIST_CHARS)
    assert trimmed == expected
    assert len(trimmed) <= GIST_CHARS


def test_timezone_naive_and_aware_dates_sort_together(
    sessions: list[SessionWithSummary],
) -> None:
    naive = replace(
        sessions[0], source=replace(sessions[0].source, occurred_at=datetime(2020, 1, 1))
    )
    aware = replace(
        sessions[1],
        source=replace(sessions[1].source, occurred_at=datetime(2021, 1, 1, tzinfo=UTC)),
    )
    profile = ExtractiveSummarizer().summarize_profile(CANDIDATE, [aware, naive])
    assert [e.session_id for e in profile.timeline] == [
        naive.source.session_id,
        aware.source.session_id,
    ]
