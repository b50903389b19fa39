"""Queries and writes on the store, as plain functions over a SQLAlchemy session."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shared.content import content_hash
from shared.store.models import CandidateRow, SessionRow, SummaryRow, TurnRow, as_utc


class SessionConflict(Exception):
    """A session with this id exists with different content."""


def ensure_candidate(db: Session, candidate_id: str, name: str | None = None) -> CandidateRow:
    row = db.get(CandidateRow, candidate_id)
    if row is None:
        row = CandidateRow(id=candidate_id, name=name)
        db.add(row)
        db.flush()
    elif name and row.name != name:
        row.name = name
    return row


def create_session(
    db: Session,
    *,
    session_id: str,
    candidate_id: str,
    candidate_name: str | None,
    mode: str,
    title: str | None,
    occurred_at: datetime | None,
    turns: Sequence[tuple[str, str, str]],
) -> tuple[SessionRow, bool]:
    """Store a session; (row, created). Same id and same content is not an error.

    The same content means the same turns, candidate, mode, title and instant (an
    ``occurred_at`` in another offset naming the same instant is the same)."""
    digest = content_hash(turns)
    occurred_at = None if occurred_at is None else as_utc(occurred_at)
    existing = db.get(SessionRow, session_id)
    if existing is not None:
        same = (
            existing.content_hash == digest
            and existing.candidate_id == candidate_id
            and existing.mode == mode
            and existing.title == title
            and existing.occurred_at == occurred_at
        )
        if not same:
            raise SessionConflict(f"session {session_id} already exists with other content")
        return existing, False
    ensure_candidate(db, candidate_id, candidate_name)
    row = SessionRow(
        id=session_id,
        candidate_id=candidate_id,
        mode=mode,
        title=title,
        occurred_at=occurred_at,
        content_hash=digest,
        word_count=sum(len(text.split()) for _, _, text in turns),
        turns=[
            TurnRow(seq=i, role=role, speaker=speaker, text=text)
            for i, (role, speaker, text) in enumerate(turns)
        ],
    )
    db.add(row)
    db.flush()
    return row, True


def get_session(db: Session, session_id: str) -> SessionRow | None:
    return db.get(SessionRow, session_id)


def candidate_exists(db: Session, candidate_id: str) -> bool:
    return db.get(CandidateRow, candidate_id) is not None


def candidate_sessions(db: Session, candidate_id: str) -> list[SessionRow]:
    stmt = (
        select(SessionRow)
        .where(SessionRow.candidate_id == candidate_id)
        .order_by(SessionRow.occurred_at, SessionRow.created_at)
    )
    return list(db.scalars(stmt))


def save_summary(db: Session, **values: Any) -> SummaryRow:
    """Insert the summary of ``values['task_id']`` unless one exists; return the stored one.

    A task that runs twice (redelivery) keeps its first summary and returns it again.
    """
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SummaryRow).values(**values).on_conflict_do_nothing().returning(SummaryRow)
    row = db.scalars(stmt).first()  # the new row, in the same statement
    if row is None:  # the task ran before: its first summary stands
        row = db.get(SummaryRow, values["task_id"], populate_existing=True)
    assert row is not None
    return row


def summary_for_task(db: Session, task_id: str) -> SummaryRow | None:
    return db.get(SummaryRow, task_id)


def latest_session_summary(
    db: Session, session_id: str, content_hash: str | None = None, mode: str | None = None
) -> SummaryRow | None:
    """Newest summary of a session (optionally only one made from this exact content)."""
    stmt = select(SummaryRow).where(
        SummaryRow.kind == "session", SummaryRow.session_id == session_id
    )
    if content_hash is not None:
        stmt = stmt.where(SummaryRow.content_hash == content_hash)
    if mode is not None:
        stmt = stmt.where(SummaryRow.mode == mode)
    return db.scalars(stmt.order_by(SummaryRow.created_at.desc()).limit(1)).first()


def latest_profile_summary(db: Session, candidate_id: str) -> SummaryRow | None:
    stmt = (
        select(SummaryRow)
        .where(SummaryRow.kind == "profile", SummaryRow.candidate_id == candidate_id)
        .order_by(SummaryRow.created_at.desc())
        .limit(1)
    )
    return db.scalars(stmt).first()
