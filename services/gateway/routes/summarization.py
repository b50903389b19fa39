"""The integration guide's API: queue summaries, read task status."""

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from fastapi.responses import Response

from contracts.api import (
    SummarizeProfileRequest,
    SummarizeSessionRequest,
    TaskAccepted,
    TaskStatusResponse,
)
from contracts.types import Kind
from services.gateway.accept import CandidateBusy, Overloaded, submit
from services.gateway.auth import AUTH_RESPONSES, Reader, Submitter
from services.gateway.deps import GatewayDep
from services.gateway.idempotency import IdempotencyConflict
from services.gateway.undispatched import visible_record
from shared.status_view import read_record, to_response

router = APIRouter(prefix="/summarization", tags=["summarization"], responses=AUTH_RESPONSES)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Same key (per tenant) within 24 h: same task, nothing enqueued twice.",
    ),
]

ACCEPT_RESPONSES: dict[int | str, dict[str, object]] = {
    409: {"description": "Idempotency-Key reused with a different body"},
    413: {"description": "Body over MAX_BODY_BYTES"},
    429: {
        "description": "The key's rate limit, or MAX_ACTIVE_PER_CANDIDATE unfinished tasks"
        " of this candidate; retry after Retry-After seconds"
    },
    503: {"description": "Backlog over MAX_BACKLOG; retry after Retry-After seconds"},
}


async def _accept(
    gateway: GatewayDep, fields: dict[str, object], key: str | None, caller: str, route: str
) -> str:
    try:
        return await submit(gateway, fields, key, caller, route)
    except IdempotencyConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except Overloaded:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "too many requests waiting to be dispatched; retry later",
            headers={"Retry-After": str(gateway.settings.retry_after_seconds)},
        ) from None
    except CandidateBusy:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"candidate {fields['candidate_id']} has {gateway.slots.slots} summaries in"
            " progress, the most it may have; retry when one is done",
            headers={"Retry-After": str(gateway.settings.retry_after_seconds)},
        ) from None


@router.post(
    "/summarize-session",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    responses=ACCEPT_RESPONSES,
)
async def summarize_session(
    body: SummarizeSessionRequest,
    gateway: GatewayDep,
    caller: Submitter,
    idempotency_key: IdempotencyKey = None,
) -> TaskAccepted:
    """Queue a session summary. Poll the task id at /summarization/task-status."""
    fields = {"kind": Kind.SESSION, **body.model_dump(), "tenant": caller.tenant}
    task_id = await _accept(gateway, fields, idempotency_key, caller.tenant, "session")
    return TaskAccepted(
        task_id=task_id, message=f"Session summarization task queued. Task ID: {task_id}"
    )


@router.post(
    "/summarize-profile",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    responses=ACCEPT_RESPONSES,
)
async def summarize_profile(
    body: SummarizeProfileRequest,
    gateway: GatewayDep,
    caller: Submitter,
    idempotency_key: IdempotencyKey = None,
) -> TaskAccepted:
    """Queue a profile summary over all of a candidate's sessions."""
    fields = {"kind": Kind.PROFILE, **body.model_dump(), "tenant": caller.tenant}
    task_id = await _accept(gateway, fields, idempotency_key, caller.tenant, "profile")
    return TaskAccepted(
        task_id=task_id, message=f"Profile summarization task queued. Task ID: {task_id}"
    )


@router.get(
    "/task-status/{task_id}",
    response_model=TaskStatusResponse,
    responses={404: {"model": TaskStatusResponse, "description": "Unknown or expired task id"}},
)
async def task_status(task_id: str, gateway: GatewayDep, caller: Reader) -> Response:
    """Status of a task; 404 with status UNKNOWN for an id never seen (or expired), or
    another tenant's (the same answer: nothing says it exists).

    A request XADDed by another service is PENDING from the moment it is on the stream,
    before a dispatcher has read it."""
    stored = await read_record(gateway.redis, gateway.settings.key_prefix, task_id)
    record = await visible_record(gateway.undispatched, task_id, stored, caller.tenant)
    # serialized once, here: FastAPI would validate the model again for response_model
    return Response(
        to_response(task_id, record).model_dump_json(),
        status_code=404 if record is None else 200,
        media_type="application/json",
    )
