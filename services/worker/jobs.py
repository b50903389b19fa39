"""What the tasks do: load the source, summarize, store, return. Plain functions.

Each job is idempotent per task id: the summary is written once (first write wins) and
a rerun returns what was stored. Each reads and writes its tenant's rows only.
"""

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from contracts.events import TranscriptTurn
from contracts.summary import SessionSummary
from contracts.types import DEFAULT_TENANT, Kind, Mode, Role
from services.worker.context import WorkerContext
from services.worker.summarizer import SessionSource, SessionWithSummary, Turn
from shared.errors import CandidateNotFound, InvalidTaskInput, NothingToSummarize, SessionNotFound
from shared.store import SessionRow, SummaryRow
from shared.store import repository as repo
from shared.telemetry import tracer

_TURNS = TypeAdapter(list[TranscriptTurn])


def summarize_session(
    ctx: WorkerContext,
    *,
    task_id: str,
    session_id: str,
    candidate_id: str,
    mode: str = Mode.SELF_REPORT.value,
    transcript: Sequence[dict[str, Any]] | None = None,
    tenant: str = DEFAULT_TENANT,
) -> dict[str, Any]:
    """Summarize one session (inline transcript, else the stored session)."""
    mode_ = _mode(mode)
    with _span("load_source", task_id), ctx.db.session() as db:
        done = repo.summary_for_task(db, tenant, task_id)
        if done is not None:
            return _payload(done)
        if transcript is not None:
            source = _inline_source(session_id, candidate_id, mode_, transcript)
        else:
            row = repo.get_session(db, tenant, session_id)
            if row is None:
                raise SessionNotFound(f"session {session_id} not found")
            if row.candidate_id != candidate_id:
                raise InvalidTaskInput(
                    f"session {session_id} belongs to candidate {row.candidate_id},"
                    f" not {candidate_id}"
                )
            source = _stored_source(row, mode_)
    with _span("summarize", task_id):
        summary = ctx.summarizer.summarize_session(source)
    with _span("store", task_id), ctx.db.session() as db:
        stored = _save_session_summary(db, tenant, task_id, source, summary)
        return _payload(stored)


def summarize_profile(
    ctx: WorkerContext, *, task_id: str, candidate_id: str, tenant: str = DEFAULT_TENANT
) -> dict[str, Any]:
    """Aggregate a candidate's sessions, reusing session summaries of unchanged content."""
    with _span("load_source", task_id, Kind.PROFILE), ctx.db.session() as db:
        done = repo.summary_for_task(db, tenant, task_id)
        if done is not None:
            return _payload(done)
        if not repo.candidate_exists(db, tenant, candidate_id):
            raise CandidateNotFound(f"candidate {candidate_id} not found")
        rows = repo.candidate_sessions(db, tenant, candidate_id)
        if not rows:
            raise NothingToSummarize(f"candidate {candidate_id} has no sessions to summarize")
        current = [_current_summary(ctx, db, task_id, row) for row in rows]
        sessions = [s for s in current if s is not None]
        if not sessions:
            raise NothingToSummarize(f"candidate {candidate_id} has no session with usable text")
    with _span("summarize", task_id, Kind.PROFILE):
        profile = ctx.summarizer.summarize_profile(candidate_id, sessions)
    with _span("store", task_id, Kind.PROFILE), ctx.db.session() as db:
        stored = repo.save_summary(
            db,
            task_id=task_id,
            tenant=tenant,
            kind=Kind.PROFILE.value,
            candidate_id=candidate_id,
            session_id=None,
            mode=None,
            content_hash=None,
            engine=profile.engine,
            engine_version=profile.engine_version,
            payload=profile.model_dump_json(),
        )
        return _payload(stored)


def _current_summary(
    ctx: WorkerContext, db: Any, profile_task_id: str, row: SessionRow
) -> SessionWithSummary | None:
    """The session's summary for its current content: stored when fresh, else made now."""
    source = _stored_source(row, Mode(row.mode))
    existing = repo.latest_session_summary(db, row.tenant, row.id, source.content_hash, row.mode)
    fresh = existing is not None and (existing.engine, existing.engine_version) == (
        ctx.summarizer.name,
        ctx.summarizer.version,
    )
    if existing is not None and fresh:
        summary = SessionSummary.model_validate_json(existing.payload)
        return SessionWithSummary(source=source, summary=summary)
    try:
        summary = ctx.summarizer.summarize_session(source)
    except NothingToSummarize:
        return None
    _save_session_summary(db, row.tenant, f"{profile_task_id}:{row.id}", source, summary)
    return SessionWithSummary(source=source, summary=summary)


def _save_session_summary(
    db: Any, tenant: str, task_id: str, source: SessionSource, summary: SessionSummary
) -> SummaryRow:
    return repo.save_summary(
        db,
        task_id=task_id,
        tenant=tenant,
        kind=Kind.SESSION.value,
        candidate_id=source.candidate_id,
        session_id=source.session_id,
        mode=source.mode.value,
        content_hash=source.content_hash,
        engine=summary.engine,
        engine_version=summary.engine_version,
        payload=summary.model_dump_json(),
    )


def _span(step: str, task_id: str, kind: Kind = Kind.SESSION) -> Any:
    """A child span of the task's run span for one step of the job."""
    return tracer().start_as_current_span(
        f"summarization.{step}",
        attributes={"summarization.task_id": task_id, "summarization.kind": kind.value},
    )


def _mode(mode: str) -> Mode:
    try:
        return Mode(mode)
    except ValueError:
        allowed = ", ".join(m.value for m in Mode)
        raise InvalidTaskInput(f"unknown mode {mode!r}; expected one of {allowed}") from None


def _inline_source(
    session_id: str, candidate_id: str, mode: Mode, transcript: Sequence[dict[str, Any]]
) -> SessionSource:
    try:
        turns = _TURNS.validate_python(transcript)
    except ValidationError as exc:
        raise InvalidTaskInput(f"invalid inline transcript: {exc.errors()[0]['msg']}") from None
    return SessionSource(
        session_id=session_id,
        candidate_id=candidate_id,
        mode=mode,
        turns=[Turn(role=t.role, speaker=t.speaker, text=t.text) for t in turns],
    )


def _stored_source(row: SessionRow, mode: Mode) -> SessionSource:
    return SessionSource(
        session_id=row.id,
        candidate_id=row.candidate_id,
        mode=mode,
        turns=[Turn(role=Role(t.role), speaker=t.speaker, text=t.text) for t in row.turns],
        occurred_at=row.occurred_at,
    )


def _payload(row: SummaryRow) -> dict[str, Any]:
    payload: dict[str, Any] = orjson.loads(row.payload)
    return payload
