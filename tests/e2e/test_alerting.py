"""A stopped projector pages someone: the real projector scraped by a real Prometheus with
the repository's rules, whose alerts a real Alertmanager routes with the repository's
configuration to the webhook receiver compose runs (``summarization alert-log``).

Only the timings are shortened (scrape and evaluation every second, each rule's ``for``
2 s and the projector's 10 s, Alertmanager's group wait 1 s, Prometheus' resend delay
1 s): the conditions and their durations are unit-tested by promtool
(deploy/prometheus/alerts.test.yml); this test checks the path an alert takes.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from services.cli.alert_log import AlertLog
from shared.redis_server import free_port
from tests.stack import ROOT, Stack, wait_for
from tests.unit.test_alert_rules import tool

pytestmark = pytest.mark.e2e


def prometheus_config(tmp: Path, projector_port: int, alertmanager_port: int) -> Path:
    groups = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    for group in groups["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "2s"
            if rule.get("labels", {}).get("service") == "projector":
                # longer than Prometheus may take to scrape it first on a busy machine:
                # before that first scrape the running projector is "absent" too
                rule["for"] = "10s"
    (tmp / "alerts.yml").write_text(yaml.safe_dump(groups))
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(tmp / "alerts.yml")]
    config["alerting"]["alertmanagers"][0]["static_configs"] = [
        {"targets": [f"127.0.0.1:{alertmanager_port}"]}
    ]
    # the projector only; the other services' absence pages too, which the test ignores
    [projector] = [job for job in config["scrape_configs"] if job["job_name"] == "projector"]
    projector["static_configs"] = [{"targets": [f"127.0.0.1:{projector_port}"]}]
    # on loopback its /metrics are open: no admin key to send (compose's is a secret file)
    projector.pop("authorization", None)
    config["scrape_configs"] = [projector]
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    return tmp / "prometheus.yml"


def alertmanager_config(tmp: Path, receiver_port: int) -> Path:
    config = yaml.safe_load((ROOT / "deploy/alertmanager/alertmanager.yml").read_text())
    config["route"].update(group_wait="1s", group_interval="1s")
    for receiver in config["receivers"]:
        for hook in receiver["webhook_configs"]:
            hook["url"] = f"http://127.0.0.1:{receiver_port}/{receiver['name']}"
    (tmp / "alertmanager.yml").write_text(yaml.safe_dump(config))
    return tmp / "alertmanager.yml"


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdout=log.open("ab"), stderr=subprocess.STDOUT)


@pytest.fixture
def receiver() -> Iterator[tuple[AlertLog, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    server = AlertLog(0, "127.0.0.1", on_alert=seen.append).start()
    yield server, seen
    server.stop()


def test_a_stopped_projector_pages_through_alertmanager(
    stack_env: dict[str, str],
    tmp_path: Path,
    receiver: tuple[AlertLog, list[dict[str, Any]]],
) -> None:
    alert_log, received = receiver
    receiver_port = alert_log.port
    stack = Stack(stack_env, tmp_path).start("projector")
    prometheus_port, alertmanager_port = free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            start(
                [
                    tool("prometheus-alertmanager"),
                    f"--config.file={alertmanager_config(tmp_path, receiver_port)}",
                    f"--storage.path={tmp_path / 'am'}",
                    f"--web.listen-address=127.0.0.1:{alertmanager_port}",
                    "--cluster.listen-address=",
                ],
                tmp_path / "alertmanager.log",
            )
        )
        projector = stack.ops_ports["projector"]
        config = prometheus_config(tmp_path, projector, alertmanager_port)
        processes.append(
            start(
                [
                    tool("prometheus"),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                    # an alert that fires before Prometheus has found Alertmanager is
                    # sent again after this (default 1 min)
                    "--rules.alert.resend-delay=1s",
                ],
                tmp_path / "prometheus.log",
            )
        )

        def pages(service: str) -> list[dict[str, Any]]:
            return [
                a
                for a in received
                if a["alertname"] == "SummarizationServiceDown"
                and a["labels"].get("service") == service
                and a["status"] == "firing"
            ]

        def projector_up() -> bool:
            query = f"http://127.0.0.1:{prometheus_port}/api/v1/query"
            try:
                response = httpx.get(query, params={"query": 'up{job="projector"}'})
            except httpx.HTTPError:
                return False
            if response.status_code != 200:  # 503 "Service Unavailable" while it starts
                return False
            result = response.json()
            return [r["value"][1] for r in result["data"]["result"]] == ["1"]

        wait_for(projector_up, 60, "Prometheus scraping the projector")
        # The gateway is not scraped here: its page shows the whole path works while the
        # projector runs, and the projector has not paged.
        wait_for(lambda: pages("gateway"), 60, "the gateway's page at the receiver")
        assert pages("projector") == []

        stack.services["projector"].stop()
        wait_for(lambda: pages("projector"), 60, "the projector's page at the receiver")
        [page] = pages("projector")[:1]
        assert page["receiver"] == "pager"
        assert page["severity"] == "critical"
        assert page["summary"] == "No projector is up: nothing scrapes it successfully"
        assert page["runbook"] == "README.md#service-down"
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
        stack.stop()
