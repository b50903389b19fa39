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


def test_worker_metrics_add_up_every_pool_process(stack: Stack) -> None:
    """The pool's processes run the tasks; the main process's /metrics shows them all."""
    import json
    import uuid

    import redis
    from prometheus_client.parser import text_string_to_metric_families

    def worker(name: str, **labels: str) -> float:
        text = stack.ops("worker", "/metrics").text
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == name and labels.items() <= s.labels.items()
        )

    wait_for(lambda: _ready(stack, "worker"), 45, "worker /readyz")
    labels = {"kind": "session", "engine": "extractive"}
    before = {
        name: worker(name, **labels)
        for name in (
            "summarization_worker_tasks_started_total",
            "summarization_worker_tasks_succeeded_total",
            "summarization_worker_task_duration_seconds_count",
        )
    }
    r = redis.Redis.from_url(stack.env["REDIS_URL"], decode_responses=True)
    turns = [{"role": "candidate", "text": "I maintain the billing service."}]
    task_ids = [str(uuid.uuid4()) for _ in range(6)]
    for task_id in task_ids:
        r.xadd(
            stack.env["STREAM_REQUESTED"],
            {"task_id": task_id, "kind": "session", "candidate_id": "c", "session_id": "s",
             "transcript": json.dumps(turns)},
        )  # fmt: skip
    keys = [f"{stack.env['KEY_PREFIX']}task:{task_id}" for task_id in task_ids]
    wait_for(lambda: all(r.hget(k, "status") == "SUCCESS" for k in keys), 60, "the tasks")
    for name, value in before.items():
        assert worker(name, **labels) - value == len(task_ids), name
    assert worker("summarization_worker_tasks_failed_total") == 0
