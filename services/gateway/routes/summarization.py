"""The integration guide's API: queue summaries, read task status."""

from uuid import uuid4

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from contracts.api import (
    SummarizeProfileRequest,
    SummarizeSessionRequest,
    TaskAccepted,
    TaskStatusResponse,
)
from contracts.events import SummarizationRequested
from contracts.types import Kind
from services.gateway.accept import accept
from services.gateway.deps import GatewayDep
from shared.status_view import read_record, to_response

router = APIRouter(prefix="/summarization", tags=["summarization"])


@router.post(
    "/summarize-session", status_code=status.HTTP_202_ACCEPTED, response_model=TaskAccepted
)
async def summarize_session(body: SummarizeSessionRequest, gateway: GatewayDep) -> TaskAccepted:
    """Queue a session summary. Poll the task id at /summarization/task-status."""
    event = SummarizationRequested(
        task_id=str(uuid4()),
        kind=Kind.SESSION,
        session_id=body.session_id,
        candidate_id=body.candidate_id,
        mode=body.mode,
    )
    await accept(gateway, event)
    return TaskAccepted(
        task_id=event.task_id,
        message=f"Session summarization task queued. Task ID: {event.task_id}",
    )


@router.post(
    "/summarize-profile", status_code=status.HTTP_202_ACCEPTED, response_model=TaskAccepted
)
async def summarize_profile(body: SummarizeProfileRequest, gateway: GatewayDep) -> TaskAccepted:
    """Queue a profile summary over all of a candidate's sessions."""
    event = SummarizationRequested(
        task_id=str(uuid4()), kind=Kind.PROFILE, candidate_id=body.candidate_id
    )
    await accept(gateway, event)
    return TaskAccepted(
        task_id=event.task_id,
        message=f"Profile summarization task queued. Task ID: {event.task_id}",
    )


@router.get(
    "/task-status/{task_id}",
    response_model=TaskStatusResponse,
    responses={404: {"model": TaskStatusResponse, "description": "Unknown or expired task id"}},
)
async def task_status(task_id: str, gateway: GatewayDep) -> TaskStatusResponse | JSONResponse:
    """Status of a task; 404 with status UNKNOWN for an id never seen (or expired)."""
    record = await read_record(gateway.redis, gateway.settings.status_key_prefix, task_id)
    response = to_response(task_id, record)
    if record is None:
        return JSONResponse(status_code=404, content=response.model_dump(mode="json"))
    return response
