"""GATEWAY_WORKERS=2: two processes serve one port, and /metrics counts both."""

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.stack import Stack

pytestmark = pytest.mark.e2e


def accepted_count(stack: Stack) -> float:
    text = httpx.get(f"{stack.url}/metrics/", timeout=5, headers=stack.auth).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "summarization_http_requests"
        for sample in family.samples
        if sample.name.endswith("_total")
        and sample.labels.get("route") == "/summarization/summarize-session"
        and sample.labels.get("status") == "202"
    )


def test_two_gateway_workers_share_the_port_and_their_metrics(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        **stack_env,
        "GATEWAY_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "MAX_ACTIVE_PER_CANDIDATE": "0",  # forty unfinished tasks of one candidate
    }
    stack = Stack(env, tmp_path)
    try:
        stack.start("gateway")
        gateway = stack.services["gateway"].process
        assert gateway is not None
        workers = Path(f"/proc/{gateway.pid}/task/{gateway.pid}/children").read_text().split()
        assert len(workers) >= 2, "a supervisor and its two worker processes"
        body = {"session_id": "s1", "candidate_id": "c1"}
        with httpx.Client(base_url=stack.url, timeout=10) as client:
            for _ in range(40):
                # a new connection each time, so the kernel spreads them over both
                answer = httpx.post(
                    f"{stack.url}/summarization/summarize-session", json=body, headers=stack.auth
                )
                assert answer.status_code == 202
            assert client.get("/readyz").status_code == 200
        assert accepted_count(stack) == 40, "every worker's requests, added up"
        counters = {p.stem.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}
        assert len(counters) >= 2, "both workers served requests"
    finally:
        stack.stop()
