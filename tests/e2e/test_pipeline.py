"""End to end: the four services as real processes, a real Redis, a real store."""

import json
import uuid
from typing import Any

import httpx
import pytest
import redis

from contracts.events import SummarizationCompleted, SummarizationFailed, SummarizationRequested
from services.cli.demo import demo_sessions
from shared.celery_app import make_celery
from shared.settings import CommonSettings
from tests.stack import Stack, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(stack: Stack) -> httpx.Client:
    client = stack.client()
    for session in demo_sessions():
        client.post("/sessions", json=session).raise_for_status()
    return client


@pytest.fixture(scope="module")
def r(stack: Stack) -> redis.Redis:
    return redis.Redis.from_url(stack.env["REDIS_URL"], decode_responses=True)


def final_status(api: httpx.Client, task_id: str, seen: list[str] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def done() -> bool:
        nonlocal result
        result = api.get(f"/summarization/task-status/{task_id}").json()
        if seen is not None and (not seen or seen[-1] != result["status"]):
            seen.append(result["status"])
        return result["status"] in ("SUCCESS", "FAILURE", "REVOKED")

    wait_for(done, 30, f"task {task_id} to finish", every=0.02)
    return result


def outcome_events(r: redis.Redis, stream: str) -> list[dict[str, Any]]:
    events = []
    for _, fields in r.xrange(stream):
        envelope = json.loads(fields["__data__"])
        events.append(json.loads(envelope["data"]))
    return events


def result_meta(stack: Stack, task_id: str) -> dict[str, Any] | None:
    """What Celery's result backend holds for a task (None: nothing)."""
    settings = CommonSettings(
        redis_url=stack.env["REDIS_URL"], celery_key_prefix=stack.env["CELERY_KEY_PREFIX"]
    )
    backend: Any = make_celery(settings).backend
    raw = backend.get(backend.get_key_for_task(task_id))
    return json.loads(raw) if raw else None


def test_session_request_goes_pending_started_success_with_a_real_summary(
    api: httpx.Client, r: redis.Redis, stack: Stack
) -> None:
    accepted = api.post(
        "/summarization/summarize-session",
        json={"session_id": "demo-session-1", "candidate_id": "demo-candidate-1"},
    )
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "INITIATED"
    assert body["message"] == f"Session summarization task queued. Task ID: {body['task_id']}"

    seen: list[str] = []
    status = final_status(api, body["task_id"], seen)
    assert status["status"] == "SUCCESS", stack.logs()
    assert seen[0] in ("PENDING", "STARTED")
    assert seen[-1] == "SUCCESS"
    assert status["attempts"] == 1
    assert status["started_at"]
    assert status["finished_at"]
    summary = status["summary"]
    assert summary["mode"] == "SELF_REPORT"
    candidate_text = " ".join(
        t["text"] for t in demo_sessions()[0]["turns"] if t["role"] == "candidate"
    )
    assert summary["overview"], "an empty overview is no summary"
    for sentence in summary["overview"]:
        assert sentence in candidate_text, "SELF_REPORT quotes only the candidate, verbatim"

    completed = [
        e
        for e in outcome_events(r, stack.env["STREAM_COMPLETED"])
        if e["task_id"] == body["task_id"]
    ]
    assert len(completed) == 1
    event = SummarizationCompleted.model_validate(completed[0])
    assert event.summary.model_dump(mode="json") == summary
    assert event.tenant == "default", "the outcome names the tenant whose key asked"
    # the result reached the view from the lifecycle stream; Celery's backend keeps no copy
    assert result_meta(stack, body["task_id"]) is None


def test_profile_request_aggregates_the_candidates_sessions(api: httpx.Client) -> None:
    accepted = api.post(
        "/summarization/summarize-profile", json={"candidate_id": "demo-candidate-1"}
    )
    assert accepted.status_code == 202
    assert accepted.json()["message"].startswith("Profile summarization task queued. Task ID: ")
    status = final_status(api, accepted.json()["task_id"])
    assert status["status"] == "SUCCESS"
    assert status["kind"] == "profile"
    assert status["summary"]["coverage"]["sessions"] == 2
    latest = api.get("/candidates/demo-candidate-1/profile-summary")
    assert latest.status_code == 200
    assert latest.json() == status["summary"]


def test_missing_session_fails_at_once_with_a_clear_error(
    api: httpx.Client, r: redis.Redis, stack: Stack
) -> None:
    accepted = api.post(
        "/summarization/summarize-session",
        json={"session_id": "no-such-session", "candidate_id": "demo-candidate-1"},
    )
    assert accepted.status_code == 202
    task_id = accepted.json()["task_id"]
    status = final_status(api, task_id)
    assert status["status"] == "FAILURE"
    assert status["error"] == "SessionNotFound: session no-such-session not found"
    assert status["attempts"] == 1, "a permanent error is not retried"
    failed = [e for e in outcome_events(r, stack.env["STREAM_FAILED"]) if e["task_id"] == task_id]
    assert len(failed) == 1
    error = SummarizationFailed.model_validate(failed[0]).error
    assert (error.type, error.retryable) == ("SessionNotFound", False)
    # failures are still stored: their meta says which errors are permanent
    meta = result_meta(stack, task_id)
    assert meta is not None
    assert (meta["status"], meta["result"]["exc_type"]) == ("FAILURE", "SessionNotFound")


def test_events_xadded_by_another_service_work_like_the_gateways(
    api: httpx.Client, r: redis.Redis, stack: Stack
) -> None:
    stream = stack.env["STREAM_REQUESTED"]
    plain_id, envelope_id = str(uuid.uuid4()), str(uuid.uuid4())
    transcript = [
        {"role": "interviewer", "speaker": "Sam", "text": "What did you ship last quarter?"},
        {"role": "candidate", "speaker": "Noor", "text": "I shipped the billing export to S3."},
    ]
    # 1. plain field/value pairs, as redis-cli or any client would write them
    r.xadd(
        stream,
        {
            "task_id": plain_id,
            "kind": "session",
            "candidate_id": "cand-noor",
            "session_id": "inline-1",
            "transcript": json.dumps(transcript),
        },
    )
    # 2. FastStream's JSON envelope with a traceparent header
    event = SummarizationRequested(
        task_id=envelope_id, kind="profile", candidate_id="demo-candidate-2"
    )
    envelope = {
        "data": event.model_dump_json(),
        "headers": {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    }
    r.xadd(stream, {"__data__": json.dumps(envelope)})

    plain = final_status(api, plain_id)
    assert plain["status"] == "SUCCESS", stack.logs()
    assert "I shipped the billing export to S3." in plain["summary"]["overview"]
    assert final_status(api, envelope_id)["status"] == "SUCCESS"


def test_invalid_events_are_dead_lettered_and_valid_ones_around_them_go_through(
    api: httpx.Client, r: redis.Redis, stack: Stack
) -> None:
    stream, dlq = stack.env["STREAM_REQUESTED"], stack.env["STREAM_REQUESTED_DLQ"]
    before = r.xlen(dlq) if r.exists(dlq) else 0
    good = str(uuid.uuid4())
    r.xadd(stream, {"__data__": "this is not json"})
    r.xadd(stream, {"task_id": "bad-kind", "kind": "meeting", "candidate_id": "c"})
    r.xadd(stream, {"task_id": good, "kind": "profile", "candidate_id": "demo-candidate-2"})
    assert final_status(api, good)["status"] == "SUCCESS"
    wait_for(lambda: r.xlen(dlq) >= before + 2, 10, "two dead letters")
    entries = [fields for _, fields in r.xrange(dlq)][before:]
    reasons = sorted(e["reason"] for e in entries)
    assert reasons[0].startswith("invalid summarization.requested: kind:")
    assert reasons[1].startswith("payload is not a JSON object: ")
    assert {e["payload"] for e in entries} >= {"this is not json"}
    refused = api.get("/summarization/task-status/bad-kind").json()  # its publisher learns
    assert (refused["status"], refused["error_detail"]["type"]) == ("FAILURE", "InvalidRequest")
    group = stack.env["CONSUMER_GROUP"]
    assert r.xpending(stream, group)["pending"] == 0, "every entry acknowledged"
