"""compose.yaml cannot run here (no Docker engine): check what it refers to exists."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "compose.yaml").read_text())  # type: ignore[no-any-return]


def test_every_service_builds_from_files_that_exist_and_runs_a_known_command() -> None:
    compose = load()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    built = {n: s for n, s in compose["services"].items() if "build" in s}
    assert set(built) >= {"gateway", "dispatcher", "worker", "projector", "flower"}
    for name, service in built.items():
        context = ROOT / service["build"]["context"]
        assert context.is_dir(), name
        assert (context / service["build"]["dockerfile"]).is_file(), name
        command = service["command"][0]
        assert command in scripts or command == "celery", f"{name}: unknown command {command}"
        if command == "celery":
            module = service["command"][2]
            assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), name


def test_redis_keeps_an_append_only_file_and_services_wait_for_it() -> None:
    compose = load()
    assert "--appendonly" in compose["services"]["redis"]["command"]
    assert compose["services"]["postgres"]["image"].startswith("postgres")
    for name in ("gateway", "dispatcher", "worker", "projector"):
        depends = compose["services"][name]["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy", name


def test_observability_files_exist_and_alerts_parse() -> None:
    compose = load()
    for name in ("otel-collector", "jaeger", "prometheus", "flower"):
        assert name in compose["services"], name
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    names = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    readme = (ROOT / "README.md").read_text().lower()
    for rule in (r for g in rules["groups"] for r in g["rules"]):
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert f"### {anchor.replace('-', ' ')}" in readme, f"runbook section for {rule['alert']}"
    assert "SummarizationNoWorkerHeartbeats" in names
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"] for job in scrape["scrape_configs"]}
    assert jobs == {"gateway", "dispatcher", "worker", "projector"}


def test_the_worker_grace_period_covers_its_soft_shutdown() -> None:
    """The platform's SIGKILL must not cut the soft shutdown off: tasks it interrupts come
    back only after the visibility timeout."""
    from services.worker.settings import WorkerSettings

    default = WorkerSettings.model_fields["worker_soft_shutdown_timeout"].default
    worker = load()["services"]["worker"]
    soft = float(worker["environment"]["WORKER_SOFT_SHUTDOWN_TIMEOUT"])
    assert soft == default
    assert float(worker["stop_grace_period"].removesuffix("s")) >= soft + 20
    deployment = yaml.safe_load((ROOT / "deploy/kubernetes/worker.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert float(env["WORKER_SOFT_SHUTDOWN_TIMEOUT"]) == default
    assert pod["terminationGracePeriodSeconds"] >= default + 20
