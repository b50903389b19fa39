"""The alert rules, checked and unit-tested like code with Prometheus' own promtool.

`make test` installs promtool (deploy/tools/install-prometheus-tools.sh) before the suite.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY, generate_latest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy/prometheus"
SERVICES = ("gateway", "dispatcher", "worker", "projector")
GAUGES = (  # served by every projector replica alike
    "summarization_stream_length",
    "summarization_stream_group_lag",
    "summarization_stream_group_pending",
    "summarization_celery_queue_depth",
    "summarization_tasks_active",
    "summarization_workers_alive",
)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: `make tools` installs it")
    return path


def run(*args: str | Path, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def rules() -> list[dict]:  # type: ignore[type-arg]
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_rules() -> None:
    assert "SUCCESS" in run(tool("promtool"), "check", "rules", PROMETHEUS / "alerts.yml")


def test_every_alert_fires_and_stays_quiet_in_the_promtool_tests() -> None:
    assert "SUCCESS" in run(tool("promtool"), "test", "rules", PROMETHEUS / "alerts.test.yml")
    cases = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"]
    checks = [check for case in cases for check in case["alert_rule_test"]]
    for name in {rule["alert"] for rule in rules()}:
        mine = [check for check in checks if check["alertname"] == name]
        assert any(check["exp_alerts"] for check in mine), f"{name} never fires in a test"
        assert any(not check["exp_alerts"] for check in mine), f"{name} is never quiet"


def test_every_service_has_a_down_alert_and_a_severity() -> None:
    down = {r["labels"].get("service"): r["expr"] for r in rules()}
    for service in SERVICES:
        assert down[service] == f'absent(up{{job="{service}"}} == 1)', service
    for rule in rules():
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]


def test_counters_go_through_increase_or_rate_and_gauges_are_never_summed() -> None:
    for rule in rules():
        expr = " ".join(rule["expr"].split())
        for gauge in GAUGES:
            if gauge in expr:
                assert f"increase({gauge}" not in expr, rule["alert"]
                assert f"sum({gauge}" not in expr, f"{rule['alert']}: replicas added up"
        for word in expr.replace("(", " ").split():
            if word.split("{")[0].endswith("_total"):
                before = expr.split(word)[0].rstrip()
                assert before.endswith(("increase(", "rate(")), f"{rule['alert']}: {word}"


def test_prometheus_config_loads_the_rules_and_scrapes_every_service(tmp_path: Path) -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert {job["job_name"] for job in config["scrape_configs"]} == set(SERVICES)
    # the container's paths, rewritten to this checkout's
    config["rule_files"] = [str(PROMETHEUS / "alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    assert "SUCCESS" in run(tool("promtool"), "check", "config", tmp_path / "prometheus.yml")


def test_dead_letter_counters_exist_before_the_first_dead_letter() -> None:
    """A series first seen at 1 is no increase() to Prometheus: the first dead letter after
    a start would raise no alert."""
    import services.dispatcher.metrics
    import services.projector.metrics  # noqa: F401

    exported = generate_latest(REGISTRY).decode()
    for cause in ("invalid", "max_deliveries"):
        assert f'summarization_requests_dead_lettered_total{{cause="{cause}"}} ' in exported
    assert "summarization_tasks_dead_lettered_total " in exported


def test_the_dashboard_never_adds_up_the_projectors_gauges() -> None:
    import json

    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/summarization.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    for gauge in GAUGES:
        for expr in (e for e in exprs if gauge in e):
            assert expr.startswith("max"), expr


def test_the_runbook_lists_every_alert_with_its_severity() -> None:
    readme = (ROOT / "README.md").read_text()
    runbook = readme[readme.index("### Runbook") :]
    for rule in rules():
        rows = [line for line in runbook.splitlines() if line.startswith(f"| `{rule['alert']}`")]
        assert rows, f"{rule['alert']} is not in the runbook's table"
        assert f"| {rule['labels']['severity']} |" in rows[0], rule["alert"]
