"""compose.yaml cannot run here (no Docker engine): check what it refers to exists."""

import tomllib
from pathlib import Path

import yaml

from services.cli.secrets import make_secrets

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
            if source.startswith("./") and not source.startswith("./deploy/secrets/"):
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


def test_every_secret_compose_reads_is_made_by_make_secrets(tmp_path: Path) -> None:
    """Redis runs with ACL users only, Flower behind basic auth, Grafana with a generated
    admin password: all from files `summarization secrets` writes (never in the repo)."""
    made = {p.name for p in make_secrets(ROOT / "deploy/redis/acl.toml", tmp_path / "s")}
    compose = load()
    wanted = set()
    for name, service in compose["services"].items():
        for path in service.get("env_file", []):
            assert path.startswith("deploy/secrets/"), name
            wanted.add(path.removeprefix("deploy/secrets/"))
        for volume in service.get("volumes", []):
            if volume.startswith("./deploy/secrets/"):
                wanted.add(volume.split(":")[0].removeprefix("./deploy/secrets/"))
    assert wanted <= made
    assert "--aclfile" in compose["services"]["redis"]["command"]
    for name in ("gateway", "dispatcher", "worker", "projector", "flower"):
        assert f"deploy/secrets/{name}.env" in compose["services"][name]["env_file"], name
        assert "REDIS_URL" not in compose["services"][name].get("environment", {}), name
    flower = (tmp_path / "s" / "flower-auth.env").read_text()
    assert flower.startswith("FLOWER_BASIC_AUTH=admin:")
    assert len(flower) > 40
    grafana = (tmp_path / "s" / "grafana.env").read_text()
    assert "GF_SECURITY_ADMIN_PASSWORD=" in grafana
    assert "GF_AUTH_ANONYMOUS_ENABLED=false" in grafana
    users = (tmp_path / "s" / "users.acl").read_text()
    assert users.splitlines()[0] == "user default on nopass resetkeys resetchannels -@all +ping"
    for env in (tmp_path / "s").glob("*.env"):
        for line in env.read_text().splitlines():
            if line.startswith("REDIS_PASSWORD="):
                assert line.split("=", 1)[1] not in users, "the ACL file holds hashes only"


def test_secrets_are_kept_when_made_again(tmp_path: Path) -> None:
    acl = ROOT / "deploy/redis/acl.toml"
    make_secrets(acl, tmp_path)
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}
    make_secrets(acl, tmp_path)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == before
    assert all(p.stat().st_mode & 0o077 == 0 for p in tmp_path.iterdir())


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
