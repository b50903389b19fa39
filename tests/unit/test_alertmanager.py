"""Alertmanager's configuration (checked by amtool) and the webhook receiver compose uses."""

from typing import Any

import httpx
import pytest
import yaml

from services.cli.alert_log import AlertLog
from tests.unit.test_alert_rules import ROOT, run, tool

CONFIG = ROOT / "deploy/alertmanager/alertmanager.yml"


def receiver_for(*labels: str) -> str:
    output = run(tool("amtool"), "config", "routes", "test", f"--config.file={CONFIG}", *labels)
    return output.strip().splitlines()[-1]


def test_amtool_accepts_the_config() -> None:
    assert "SUCCESS" in run(tool("amtool"), "check-config", CONFIG)


def test_alerts_are_routed_by_severity() -> None:
    assert receiver_for("alertname=SummarizationServiceDown", "severity=critical") == "pager"
    assert receiver_for("alertname=SummarizationQueueBacklog", "severity=warning") == "tickets"
    assert receiver_for("alertname=Unlabelled") == "tickets"


def test_every_rule_severity_has_a_route_and_compose_wires_it_up() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    routed = {m.split("=")[1].strip('"') for r in config["route"]["routes"] for m in r["matchers"]}
    groups = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())["groups"]
    assert {rule["labels"]["severity"] for g in groups for rule in g["rules"]} <= routed
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    port = compose["alert-log"]["command"][-1]
    for receiver in config["receivers"]:
        for hook in receiver["webhook_configs"]:
            assert hook["url"] == f"http://alert-log:{port}/{receiver['name']}"
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    [target] = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert target.split(":")[0] in compose
    assert any(m.endswith("alertmanager.yml:ro") for m in compose["alertmanager"]["volumes"])


@pytest.fixture
def alert_log() -> Any:
    seen: list[dict[str, Any]] = []
    server = AlertLog(0, "127.0.0.1", on_alert=seen.append).start()
    yield server, seen
    server.stop()


def test_the_alert_log_records_each_alert_of_a_notification(
    alert_log: tuple[AlertLog, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    server, seen = alert_log
    notification = {
        "version": "4",
        "status": "firing",
        "receiver": "pager",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "SummarizationServiceDown", "severity": "critical",
                           "service": "projector"},
                "annotations": {"summary": "No projector is up", "runbook": "README.md#x"},
                "startsAt": "2026-11-30T01:00:00Z",
            },
            {"status": "resolved", "labels": {"alertname": "Other"}, "annotations": {}},
        ],
    }  # fmt: skip
    url = f"http://127.0.0.1:{server.port}/pager"
    assert httpx.post(url, json=notification).status_code == 200
    assert [(a["receiver"], a["alertname"], a["status"]) for a in seen] == [
        ("pager", "SummarizationServiceDown", "firing"),
        ("pager", "Other", "resolved"),
    ]
    assert seen[0]["labels"] == {"service": "projector"}
    assert seen[0]["severity"] == "critical"
    assert httpx.post(url, content=b"not json").status_code == 400
