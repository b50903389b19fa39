"""Every background service answers /healthz, /readyz and /metrics on its ops port."""

import pytest

from shared.redis_server import free_port
from tests.stack import Service, Stack, listening_address, wait_for

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", ["dispatcher", "worker", "projector"])
def test_ops_endpoints(stack: Stack, name: str) -> None:
    wait_for(lambda: _ready(stack, name), 45, f"{name} /readyz")
    assert stack.ops(name, "/healthz").json()["status"] == "ok"
    ready = stack.ops(name, "/readyz").json()
    assert set(ready["checks"].values()) == {"ok"}
    assert stack.ops(name, "/metrics").status_code == 200


def test_ops_servers_listen_on_loopback_unless_ops_host_is_set(stack: Stack) -> None:
    """Metrics and readiness details are for the operator: not on every interface by
    default; OPS_HOST opens them (compose, for a Prometheus in another container)."""
    for name in ("dispatcher", "worker", "projector"):
        wait_for(lambda: _ready(stack, name), 45, f"{name} /readyz")  # noqa: B023
        assert listening_address(stack.ops_ports[name]) == "127.0.0.1", name
    port = free_port()
    env = {**stack.env, "OPS_PORT": str(port), "OPS_HOST": "0.0.0.0"}
    opened = Service("projector", env, stack.log_dir / "projector-ops-host.log").start()
    try:
        wait_for(lambda: _answers(port), 45, "the second projector's ops server")
        assert listening_address(port) == "0.0.0.0"
    finally:
        opened.stop()


def _answers(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _ready(stack: Stack, name: str) -> bool:
    try:
        return stack.ops(name).status_code == 200
    except Exception:
        return False


def test_metrics_an_sre_can_alert_on(stack: Stack) -> None:
    import json
    import uuid

    import httpx
    import redis
    from prometheus_client.parser import text_string_to_metric_families

    r = redis.Redis.from_url(stack.env["REDIS_URL"], decode_responses=True)
    task_id = str(uuid.uuid4())
    turns = [{"role": "candidate", "text": "I maintain the billing service."}]
    r.xadd(
        stack.env["STREAM_REQUESTED"],
        {"task_id": task_id, "kind": "session", "candidate_id": "c", "session_id": "s",
         "transcript": json.dumps(turns)},
    )  # fmt: skip
    key = f"{stack.env['KEY_PREFIX']}task:{task_id}"
    wait_for(lambda: r.hget(key, "status") == "SUCCESS", 30, "the task")
    httpx.get(f"{stack.url}/summarization/task-status/{task_id}")

    def samples(name: str) -> dict[tuple[tuple[str, str], ...], float]:
        text = (
            stack.ops(name, "/metrics").text
            if name != "gateway"
            else httpx.get(f"{stack.url}/metrics/").text
        )
        return {
            (s.name, *sorted(s.labels.items())): s.value  # type: ignore[misc]
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    projector = samples("projector")
    assert (
        projector[
            ("summarization_tasks_finished_total", ("kind", "session"), ("status", "SUCCESS"))
        ]
        >= 1
    )
    assert projector[("summarization_task_duration_seconds_count", ("kind", "session"))] >= 1
    assert ("summarization_stream_length", ("stream", "requested")) in projector
    assert ("summarization_stream_length", ("stream", "tasks_dlq")) in projector
    queue = stack.env["QUEUE_SESSION"]
    assert projector[("summarization_celery_queue_depth", ("queue", queue))] == 0
    wait_for(lambda: samples("projector")[("summarization_workers_alive",)] >= 1, 10, "heartbeat")
    dispatcher = samples("dispatcher")
    assert dispatcher[("summarization_dispatched_total", ("kind", "session"))] >= 1
    gateway = samples("gateway")
    route = ("route", "/summarization/task-status/{task_id}")
    assert (
        gateway[("summarization_http_requests_total", ("method", "GET"), route, ("status", "200"))]
        >= 1
    )
