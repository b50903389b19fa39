"""Log lines: JSON with the fields SREs search by, and never a secret."""

import io
import json
import logging
import sys

import pytest
import structlog

from shared.logging import configure_logging, get_logger


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("gateway", "INFO", "json")
    structlog.contextvars.clear_contextvars()
    return out


def records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_lines_carry_service_task_and_trace(lines: io.StringIO) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("t")
    structlog.contextvars.bind_contextvars(task_id="t-1", candidate_id="c-1")
    with tracer.start_as_current_span("s") as span:
        get_logger("x").info("request_accepted")
    logging.getLogger("uvicorn.access").info("GET /healthz 200")
    first, second = records(lines)
    assert first["event"] == "request_accepted"
    assert first["service"] == "gateway"
    assert first["level"] == "info"
    assert (first["task_id"], first["candidate_id"]) == ("t-1", "c-1")
    assert first["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert "timestamp" in first
    assert second["logger"] == "uvicorn.access", "library loggers share the pipeline"
    assert second["service"] == "gateway"


def test_secrets_never_reach_the_logs(lines: io.StringIO) -> None:
    log = get_logger("x")
    log.info("connecting", url="redis://default:s3cr3t-pw@cache:6379/0")
    log.info("db", dsn="postgresql://app:hunter2hunter2@db/summaries")
    log.warning("llm call failed: Authorization: Bearer sk-live-abcdef1234567890")
    log.info("llm", config="api_key=sk-proj-0123456789abcdef")
    logging.getLogger("celery").error("Cannot connect to redis://:pw-in-url@10.0.0.1:6379/0")
    text = lines.getvalue()
    for secret in ("s3cr3t-pw", "hunter2hunter2", "sk-live-abcdef1234567890",
                   "sk-proj-0123456789abcdef", "pw-in-url"):  # fmt: skip
        assert secret not in text
    assert "redis://default:***@cache:6379/0" in text
