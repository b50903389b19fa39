"""One trace per request, across the real processes, exported over OTLP to a test collector."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.demo import demo_sessions
from tests.conftest import cleanup, isolated_env
from tests.otlp_collector import Collector, Span
from tests.stack import Stack, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def traced(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Collector]]:
    collector = Collector().start()
    namespace = f"o{uuid.uuid4().hex[:10]}"
    tmp: Path = tmp_path_factory.mktemp(namespace)
    env = {
        **isolated_env(redis_url, namespace, tmp),
        "SUMMARIZER_ENGINE": "fake",
        "RETRY_BACKOFF_BASE": "0.1",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    stack = Stack(env, tmp)
    try:
        stack.start()
        yield stack, collector
    finally:
        stack.stop()
        collector.stop()
        cleanup(redis_url, namespace)


def by_name(spans: list[Span], name: str) -> list[Span]:
    return [s for s in spans if s.name == name]


def one(spans: list[Span], name: str) -> Span:
    found = by_name(spans, name)
    assert len(found) == 1, f"{name}: {[s.name for s in spans]}"
    return found[0]


def test_one_trace_from_http_call_to_completion_event(traced: tuple[Stack, Collector]) -> None:
    stack, collector = traced
    httpx.post(f"{stack.url}/sessions", json=demo_sessions()[0]).raise_for_status()
    accepted = httpx.post(
        f"{stack.url}/summarization/summarize-session",
        json={"session_id": "demo-session-1", "candidate_id": "demo-candidate-1"},
    ).json()
    task_id = accepted["task_id"]
    env = stack.env
    completed = f"{env['STREAM_COMPLETED']} publish"

    expected = {
        "POST /summarization/summarize-session",
        f"{env['STREAM_REQUESTED']} create",
        f"{env['STREAM_REQUESTED']} publish",
        f"{env['STREAM_REQUESTED']} process",
        "apply_async/summarization.summarize_session",
        "run/summarization.summarize_session",
        "summarization.load_source",
        "summarization.summarize",
        "summarization.store",
        "summarization.status update",
        completed,
    }

    def complete() -> list[Span]:
        """The trace once every process has exported its part (each exports in batches)."""
        roots = [s for s in collector.spans if s.attributes.get("summarization.task_id") == task_id]
        spans = collector.trace(roots[0].trace_id) if roots else []
        return spans if expected <= {s.name for s in spans} else []

    wait_for(complete, 30, "the completion event's span")
    spans = complete()
    assert {s.trace_id for s in spans} == {spans[0].trace_id}, "one trace"
    internal = [s.name for s in spans if s.name.endswith((" http send", " http receive"))]
    assert internal == [], "no span per ASGI message"
    ids = {s.span_id: s for s in spans}

    http = one(spans, "POST /summarization/summarize-session")
    assert http.parent_id == ""
    assert http.service == "summarization-gateway"
    create = one(spans, f"{env['STREAM_REQUESTED']} create")
    publish = one(spans, f"{env['STREAM_REQUESTED']} publish")
    consume = one(spans, f"{env['STREAM_REQUESTED']} process")
    send = one(spans, "apply_async/summarization.summarize_session")
    run = one(spans, "run/summarization.summarize_session")
    [out] = [s for s in by_name(spans, completed) if s.attributes["summarization.published"]]
    update = ids[out.parent_id]
    assert update.name == "summarization.status update"

    def ancestors(span: Span) -> list[str]:
        chain = []
        while span.parent_id in ids:
            span = ids[span.parent_id]
            chain.append(span.name)
        return chain

    assert create.parent_id == http.span_id
    assert publish.parent_id == create.span_id
    assert consume.parent_id == create.span_id, "FastStream links process to the message"
    assert consume.service == "summarization-dispatcher"
    assert consume.name in ancestors(send)
    assert run.parent_id == send.span_id
    assert run.service == "summarization-worker"
    for step in ("summarization.load_source", "summarization.summarize", "summarization.store"):
        assert one(spans, step).parent_id == run.span_id
    assert update.parent_id == run.span_id
    assert update.service == "summarization-projector"
    assert out.parent_id == update.span_id
    assert out.attributes["messaging.system"] == "redis"
    assert out.attributes["messaging.operation.type"] == "publish"
    assert update.attributes["summarization.task_id"] == task_id
    # the completion event carries the trace on to its consumers
    import json

    import redis

    r = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    headers = [json.loads(f["__data__"])["headers"] for _, f in r.xrange(env["STREAM_COMPLETED"])]
    assert any(h.get("traceparent", "").split("-")[1] == http.trace_id for h in headers)


def test_an_xadded_event_joins_its_producers_trace_and_retries_show(
    traced: tuple[Stack, Collector],
) -> None:
    stack, collector = traced
    import json

    import redis

    trace_id = uuid.uuid4().hex
    task_id = str(uuid.uuid4())
    r = redis.Redis.from_url(stack.env["REDIS_URL"])
    turns = [{"role": "candidate", "text": "[[fail-first]] I run the payments platform."}]
    r.xadd(
        stack.env["STREAM_REQUESTED"],
        {
            "task_id": task_id,
            "kind": "session",
            "candidate_id": "c-x",
            "session_id": "s-x",
            "transcript": json.dumps(turns),
            "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
        },
    )
    completed = f"{stack.env['STREAM_COMPLETED']} publish"

    def exported() -> bool:
        spans = collector.trace(trace_id)
        runs = by_name(spans, "run/summarization.summarize_session")
        return len(runs) == 2 and bool(by_name(spans, completed))

    wait_for(exported, 30, "the retried task's trace")
    spans = collector.trace(trace_id)
    consume = one(spans, f"{stack.env['STREAM_REQUESTED']} process")
    assert consume.parent_id == "00f067aa0ba902b7", "the producer's span is the parent"
    runs = by_name(spans, "run/summarization.summarize_session")
    assert len(runs) == 2, "the failed attempt and the retry"
    first, second = sorted(runs, key=lambda s: s.attributes.get("celery.state") != "RETRY")
    assert first.attributes.get("celery.state") == "RETRY"
    retry_send = {s.span_id: s for s in spans}[second.parent_id]
    assert retry_send.name == "apply_async/summarization.summarize_session"
    assert retry_send.parent_id == first.span_id, "the retry is sent from the failed run"


def test_every_line_of_a_traced_request_names_its_trace_span_and_task(
    traced: tuple[Stack, Collector],
) -> None:
    """Each service's lines for one request carry the request's trace id, a span id and the
    task id; none of its lines has one without the others."""
    import json

    stack, _ = traced
    httpx.post(f"{stack.url}/sessions", json=demo_sessions()[0]).raise_for_status()
    task_id = httpx.post(
        f"{stack.url}/summarization/summarize-session",
        json={"session_id": "demo-session-1", "candidate_id": "demo-candidate-1"},
    ).json()["task_id"]

    def logged(service: str) -> list[dict[str, object]]:
        return [json.loads(line) for line in stack.services[service].logs().splitlines()]

    def finished() -> bool:
        return any(
            line.get("task_id") == task_id and line["event"] == "task_finished"
            for line in logged("projector")
        )

    wait_for(finished, 30, "the projector's task_finished line")
    [accepted] = [
        line
        for line in logged("gateway")
        if line.get("task_id") == task_id and line["event"] == "request_accepted"
    ]
    trace_id = accepted["trace_id"]

    def lines(service: str) -> list[dict[str, object]]:
        """The request's lines: those naming its task or its trace."""
        return [
            line
            for line in logged(service)
            if line.get("task_id") == task_id or line.get("trace_id") == trace_id
        ]

    for service in ("gateway", "dispatcher", "worker", "projector"):
        mine = lines(service)
        assert mine, f"{service} logged nothing about the task"
        for line in mine:
            assert line.get("trace_id") == trace_id, (service, line)
            assert len(str(line.get("span_id"))) == 16, (service, line)
            assert line.get("task_id") == task_id, (service, line)
    events = {str(line["event"]) for line in lines("worker")}
    assert "task_received" in events, "the main process's line, in the message's trace"
    assert any(e.startswith("Task summarization.summarize_session[") for e in events)
    assert "task_sent" in {line["event"] for line in lines("dispatcher")}


def test_start_and_stop_are_log_lines_too(stack_env: dict[str, str], tmp_path: Path) -> None:
    """Celery's banner and shutdown notice, Python's warnings, a Ctrl-C of the projector:
    every line either service writes is a JSON log line, and Ctrl-C leaves no traceback."""
    import json
    import signal

    stack = Stack(stack_env, tmp_path).start("worker", "projector")
    try:
        for name in ("worker", "projector"):
            wait_for(lambda n=name: _answers(stack, n), 60, f"{name} /readyz")  # type: ignore[misc]
        projector = stack.services["projector"].process
        assert projector is not None
        projector.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert projector.wait(timeout=20) == 0
        stack.services["worker"].stop()
    finally:
        stack.stop()
    for name in ("worker", "projector"):
        text = stack.services[name].logs()
        assert "Traceback" not in text, text
        lines = [json.loads(line) for line in text.splitlines()]  # raises on a plain line
        assert all(line["service"] == name for line in lines)
    worker_events = [str(line["event"]) for line in _json(stack, "worker")]
    assert "worker_starting" in worker_events
    assert any(e.startswith("worker: ") and "shutdown" in e for e in worker_events)
    assert "projector_stopping" in [line["event"] for line in _json(stack, "projector")]


def _answers(stack: Stack, name: str) -> bool:
    try:
        return stack.ops(name).status_code == 200
    except httpx.HTTPError:
        return False


def _json(stack: Stack, name: str) -> list[dict[str, object]]:
    import json

    return [json.loads(line) for line in stack.services[name].logs().splitlines()]
