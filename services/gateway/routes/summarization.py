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
from services.gateway.accept import Overloaded, submit
from services.gateway.deps import GatewayDep
from services.gateway.idempotency import IdempotencyConflict
from services.gateway.undispatched import waiting_record
from shared.status_view import read_record, to_response

router = APIRouter(prefix="/summarization", tags=["summarization"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Same key (per caller) within 24 h: same task, nothing enqueued twice.",
    ),
]
Caller = Annotated[
    str,
    Header(
        alias="X-Caller-Id",
        max_length=200,
        description="Who is calling: Idempotency-Key values are scoped per caller.",
    ),
]

ACCEPT_RESPONSES: dict[int | str, dict[str, object]] = {
    409: {"description": "Idempotency-Key reused with a different body"},
    413: {"description": "Body over MAX_BODY_BYTES"},
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


@router.post(
    "/summarize-session",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    responses=ACCEPT_RESPONSES,
)
async def summarize_session(
    body: SummarizeSessionRequest,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
    caller: Caller = "anonymous",
) -> TaskAccepted:
    """Queue a session summary. Poll the task id at /summarization/task-status."""
    fields = {"kind": Kind.SESSION, **body.model_dump()}
    task_id = await _accept(gateway, fields, idempotency_key, caller, "session")
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
    idempotency_key: IdempotencyKey = None,
    caller: Caller = "anonymous",
) -> TaskAccepted:
    """Queue a profile summary over all of a candidate's sessions."""
    fields = {"kind": Kind.PROFILE, **body.model_dump()}
    task_id = await _accept(gateway, fields, idempotency_key, caller, "profile")
    return TaskAccepted(
        task_id=task_id, message=f"Profile summarization task queued. Task ID: {task_id}"
    )


@router.get(
    "/task-status/{task_id}",
    response_model=TaskStatusResponse,
    responses={404: {"model": TaskStatusResponse, "description": "Unknown or expired task id"}},
)
async def task_status(task_id: str, gateway: GatewayDep) -> Response:
    """Status of a task; 404 with status UNKNOWN for an id never seen (or expired).

    A request XADDed by another service is PENDING from the moment it is on the stream,
    before a dispatcher has read it."""
    record = await read_record(gateway.redis, gateway.settings.key_prefix, task_id)
    if record is None and (added := await gateway.undispatched.find(task_id)):
        record = waiting_record(task_id, added)
    # serialized once, here: FastAPI would validate the model again for response_model
    return Response(
        to_response(task_id, record).model_dump_json(),
        status_code=404 if record is None else 200,
        media_type="application/json",
    )
