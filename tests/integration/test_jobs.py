"""The worker's jobs against a real store (no Celery): sources, reuse, clear failures."""

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from contracts.summary import ProfileSummary, SessionSummary
from services.worker import jobs
from services.worker.context import WorkerContext
from services.worker.settings import WorkerSettings
from services.worker.summarizer import SessionSource, SessionWithSummary
from services.worker.summarizer.extractive import ExtractiveSummarizer
from shared.errors import CandidateNotFound, InvalidTaskInput, NothingToSummarize, SessionNotFound
from shared.store import Database
from tests.transcripts import load_transcripts, store_transcript


class Counting:
    """The real engine, counting the sessions it summarizes."""

    def __init__(self) -> None:
        self.engine = ExtractiveSummarizer()
        self.name, self.version = self.engine.name, self.engine.version
        self.sessions: list[str] = []

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        self.sessions.append(source.session_id)
        return self.engine.summarize_session(source)

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        return self.engine.summarize_profile(candidate_id, sessions)


@pytest.fixture
def ctx(database_url: str, tmp_path: Path) -> Iterator[WorkerContext]:
    db = Database(database_url)
    db.create_schema()
    yield WorkerContext(settings=WorkerSettings(), db=db, summarizer=Counting())
    db.dispose()


def store(ctx: WorkerContext, transcript: dict) -> None:  # type: ignore[type-arg]
    store_transcript(ctx.db, transcript)


def shared_candidate() -> list[dict]:  # type: ignore[type-arg]
    transcripts = load_transcripts()
    counts: dict[str, int] = {}
    for t in transcripts:
        counts[t["candidate_id"]] = counts.get(t["candidate_id"], 0) + 1
    candidate = max(counts, key=lambda c: counts[c])
    return [t for t in transcripts if t["candidate_id"] == candidate]


def test_profile_reuses_session_summaries_of_unchanged_content(ctx: WorkerContext) -> None:
    sessions = shared_candidate()
    assert len(sessions) >= 2
    for t in sessions:
        store(ctx, t)
    candidate = sessions[0]["candidate_id"]
    first = jobs.summarize_session(
        ctx, task_id="s-task", session_id=sessions[0]["session_id"], candidate_id=candidate,
        mode=sessions[0]["mode"],
    )  # fmt: skip
    counting: Counting = ctx.summarizer  # type: ignore[assignment]
    counting.sessions.clear()
    profile = jobs.summarize_profile(ctx, task_id="p1", candidate_id=candidate)
    assert sessions[0]["session_id"] not in counting.sessions, "fresh summary reused"
    assert sorted(counting.sessions) == sorted(t["session_id"] for t in sessions[1:])
    counting.sessions.clear()
    again = jobs.summarize_profile(ctx, task_id="p2", candidate_id=candidate)
    assert counting.sessions == [], "every session summary is current: nothing recomputed"
    assert again["coverage"] == profile["coverage"]
    assert profile["coverage"]["sessions"] == len(sessions)
    assert first["source"]["session_id"] == sessions[0]["session_id"]
    rerun = jobs.summarize_profile(ctx, task_id="p1", candidate_id=candidate)
    assert rerun == profile, "a task run twice returns its stored result"


def test_clear_permanent_failures(ctx: WorkerContext) -> None:
    t = shared_candidate()[0]
    store(ctx, t)
    with pytest.raises(SessionNotFound, match="session nope not found"):
        jobs.summarize_session(ctx, task_id="a", session_id="nope", candidate_id="c")
    with pytest.raises(InvalidTaskInput, match="belongs to candidate"):
        jobs.summarize_session(ctx, task_id="b", session_id=t["session_id"], candidate_id="other")
    with pytest.raises(CandidateNotFound, match="candidate ghost not found"):
        jobs.summarize_profile(ctx, task_id="c", candidate_id="ghost")
    with pytest.raises(NothingToSummarize, match="no candidate statements to summarize"):
        jobs.summarize_session(
            ctx, task_id="d", session_id="inline", candidate_id="c", mode="SELF_REPORT",
            transcript=[{"role": "interviewer", "text": "Tell me about yourself."}],
        )  # fmt: skip
    with pytest.raises(InvalidTaskInput, match="unknown mode 'GOSSIP'"):
        jobs.summarize_session(ctx, task_id="e", session_id="x", candidate_id="c", mode="GOSSIP")
