"""Interview sessions and the latest summaries of sessions and candidates.

Each is the calling tenant's: another tenant's ids read as unknown (404), and a 404 names
only the id the caller sent.
"""

from typing import Any
from uuid import uuid4

import orjson
from fastapi import APIRouter, HTTPException, Response, status

from contracts.api import SessionCreate, SessionOut, TurnIn
from contracts.summary import ProfileSummary, SessionSummary
from contracts.types import Mode, Role
from services.gateway.auth import AUTH_RESPONSES, Reader, Submitter
from services.gateway.deps import GatewayDep
from shared.store import SessionRow
from shared.store import repository as repo

router = APIRouter(tags=["sessions"], responses=AUTH_RESPONSES)


def _session_out(row: SessionRow) -> SessionOut:
    return SessionOut(
        session_id=row.id,
        candidate_id=row.candidate_id,
        mode=Mode(row.mode),
        title=row.title,
        occurred_at=row.occurred_at,
        created_at=row.created_at,
        content_hash=row.content_hash,
        word_count=row.word_count,
        turns=[TurnIn(role=Role(t.role), speaker=t.speaker, text=t.text) for t in row.turns],
    )


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionOut,
    responses={
        200: {"description": "Same id, same content: already stored"},
        409: {"description": "Same id, other content"},
        413: {"description": "Body over MAX_BODY_BYTES"},
    },
)
def create_session(
    body: SessionCreate, gateway: GatewayDep, response: Response, caller: Submitter
) -> SessionOut:
    """Store an interview session with its ordered turns (candidate created if new)."""
    with gateway.db.session() as db:
        try:
            row, created = repo.create_session(
                db,
                tenant=caller.tenant,
                session_id=body.session_id or str(uuid4()),
                candidate_id=body.candidate_id,
                candidate_name=body.candidate_name,
                mode=body.mode.value,
                title=body.title,
                occurred_at=body.occurred_at,
                turns=[(t.role.value, t.speaker, t.text) for t in body.turns],
            )
        except repo.SessionConflict as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        if not created:
            response.status_code = status.HTTP_200_OK
        return _session_out(row)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionOut,
    responses={404: {"description": "No such session of this tenant"}},
)
def get_session(session_id: str, gateway: GatewayDep, caller: Reader) -> SessionOut:
    with gateway.db.session() as db:
        row = repo.get_session(db, caller.tenant, session_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"session {session_id} not found")
        return _session_out(row)


@router.get(
    "/sessions/{session_id}/summary",
    response_model=SessionSummary,
    responses={404: {"description": "No summary of such a session of this tenant yet"}},
)
def session_summary(session_id: str, gateway: GatewayDep, caller: Reader) -> Any:
    """The newest summary of a session."""
    with gateway.db.session() as db:
        row = repo.latest_session_summary(db, caller.tenant, session_id)
        if row is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"session {session_id} has no summary yet"
            )
        return orjson.loads(row.payload)


@router.get(
    "/candidates/{candidate_id}/profile-summary",
    response_model=ProfileSummary,
    responses={404: {"description": "No profile summary of such a candidate of this tenant yet"}},
)
def profile_summary(candidate_id: str, gateway: GatewayDep, caller: Reader) -> Any:
    """The newest profile summary of a candidate."""
    with gateway.db.session() as db:
        row = repo.latest_profile_summary(db, caller.tenant, candidate_id)
        if row is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"candidate {candidate_id} has no profile summary yet"
            )
        return orjson.loads(row.payload)
