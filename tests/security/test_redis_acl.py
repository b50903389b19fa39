"""compose.yaml's Redis users (deploy/redis/acl.toml): each component runs as its own ACL
user, the whole pipeline works within what its user may do (Redis denies nothing), and
nobody else gets in."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from services.cli.demo import demo_sessions
from services.cli.secrets import make_secrets
from shared.redis_server import free_port
from tests.redis_servers import redis_server
from tests.stack import ROOT, Stack, wait_for

ACL = ROOT / "deploy" / "redis" / "acl.toml"
COMPONENTS = ("gateway", "dispatcher", "worker", "projector")
AUDITOR = "user acl-auditor on >auditor -@all +acl|log +client|setinfo"
"""Test only: may read which commands Redis denied, nothing else."""


def env_file(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def start_from(secrets: Path, directory: Path) -> Iterator[int]:
    with (secrets / "users.acl").open("a") as users:
        users.write(AUDITOR + "\n")
    with redis_server(directory, "--aclfile", str(secrets / "users.acl")) as port:
        yield port


@pytest.fixture(scope="module")
def acl_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A Redis started from the generated users file, and the secrets directory."""
    secrets = tmp_path_factory.mktemp("secrets")
    make_secrets(ACL, secrets, redis_host="127.0.0.1:0")  # the port is known once started
    for port in start_from(secrets, tmp_path_factory.mktemp("acl-redis")):
        make_secrets(ACL, secrets, redis_host=f"127.0.0.1:{port}")  # same passwords
        yield port, secrets


def denied(port: int) -> list[str]:
    auditor = redis.Redis(port=port, username="acl-auditor", password="auditor")
    entries = auditor.acl_log(count=100)
    auditor.close()
    return sorted({f"{e['username']}: {e['reason']} {e['object']}" for e in entries})


def test_the_pipeline_runs_with_one_acl_user_per_component(
    acl_redis: tuple[int, Path], tmp_path: Path
) -> None:
    port, secrets = acl_redis
    common = {
        "ENVIRONMENT": "test",
        "CELERY_KEY_PREFIX": "celery:",  # as compose.yaml sets it
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "SUMMARIZER_ENGINE": "fake",
        "LOG_FORMAT": "json",
    }
    stack = Stack(common, tmp_path)
    try:
        for name in COMPONENTS:
            own = env_file(secrets / f"{name}.env")
            own.pop("DATABASE_URL")
            stack.start(name, extra_env=own)
        with stack.client() as api:
            session = demo_sessions()[0]
            api.post("/sessions", json=session).raise_for_status()
            good = {"session_id": session["session_id"], "candidate_id": session["candidate_id"]}
            bad = {"session_id": "no-such-session", "candidate_id": session["candidate_id"]}
            tasks = {
                api.post("/summarization/summarize-session", json=body).json()["task_id"]: want
                for body, want in ((good, "SUCCESS"), (bad, "FAILURE"))
            }

            def finished() -> bool:
                got = {t: api.get(f"/summarization/task-status/{t}").json() for t in tasks}
                return all(got[t]["status"] == want for t, want in tasks.items())

            wait_for(finished, 60, "the tasks, every component as its own user", every=0.1)
        producer = redis.Redis.from_url(env_file(secrets / "gateway.env")["REDIS_URL"])
        producer.xadd("summarization.requested", {"task_id": str(uuid.uuid4()), "kind": "x"})
        producer.close()
        projector = redis.Redis.from_url(env_file(secrets / "projector.env")["REDIS_URL"])
        wait_for(lambda: projector.xlen("summarization.requested.dlq") == 1, 30, "dead letter")
        failed = [json.loads(fields[b"__data__"]) for _, fields in projector.xrange(
            "summarization.failed"
        )]  # fmt: skip
        failed_ids = {json.loads(envelope["data"])["task_id"] for envelope in failed}
        assert {t for t, want in tasks.items() if want == "FAILURE"} <= failed_ids
        projector.close()
        operator = {**os.environ, **common, **env_file(secrets / "operator.env")}
        redrive = subprocess.run(
            [sys.executable, "-m", "services.cli", "redrive", "submit", "--all"],
            env=operator, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "redriven" in redrive.stdout, redrive.stdout + redrive.stderr
        for name in ("dispatcher", "worker", "projector"):
            wait_for(lambda n=name: stack.ops(n).status_code == 200, 45, f"{name} /readyz")
        metrics = stack.ops("projector", "/metrics").text
        assert 'summarization_stream_length{stream="requested_dlq"} 1.0' in metrics
        check_flower(secrets, common, tmp_path)
    finally:
        stack.stop()
    assert denied(port) == [], "every component did all it had to within its user's rights"
    events = [json.loads(line) for line in stack.logs().splitlines() if line.startswith("{")]
    assert not [e for e in events if "NOPERM" in json.dumps(e)]


def check_flower(secrets: Path, common: dict[str, str], tmp_path: Path) -> None:
    """Flower as its own user, behind its generated password: it sees the worker."""
    port = free_port()
    env = {
        **os.environ,
        **common,
        **env_file(secrets / "flower.env"),
        **env_file(secrets / "flower-auth.env"),
        "FLOWER_PORT": str(port),
    }
    user, password = env["FLOWER_BASIC_AUTH"].split(":", 1)
    with (tmp_path / "flower.log").open("wb") as log:
        flower = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "flower"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/workers?refresh=1"
    try:

        def workers() -> dict[str, object]:
            try:
                answer = httpx.get(url, auth=(user, password), timeout=10)
            except httpx.HTTPError:
                return {}
            return answer.json() if answer.status_code == 200 else {}

        wait_for(workers, 60, "Flower to list the worker", every=0.5)
        assert httpx.get(url, timeout=10).status_code == 401, "no password, no Flower"
    finally:
        flower.terminate()
        flower.wait(timeout=30)


def test_only_the_components_users_get_in(acl_redis: tuple[int, Path]) -> None:
    port, secrets = acl_redis
    anonymous = redis.Redis(port=port)
    assert anonymous.ping(), "the health check's PING"
    with pytest.raises(redis.exceptions.NoPermissionError):
        anonymous.get("summarization:task:x")
    gateway = redis.Redis.from_url(env_file(secrets / "gateway.env")["REDIS_URL"])
    assert gateway.hgetall("summarization:task:none") == {}
    with pytest.raises(redis.exceptions.NoPermissionError):
        gateway.lpush("celery:long_running", "x")  # the gateway never touches Celery's queues
    with pytest.raises(redis.exceptions.NoPermissionError):
        gateway.xadd("summarization.completed", {"forged": "1"})  # outcomes: the projector's
    with pytest.raises(redis.exceptions.NoPermissionError):
        gateway.flushall()
    worker = redis.Redis.from_url(env_file(secrets / "worker.env")["REDIS_URL"])
    with pytest.raises(redis.exceptions.NoPermissionError):
        worker.xadd("summarization.requested", {"task_id": "t"})  # not a request producer
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=port, username="gateway", password="wrong").ping()
    for client in (anonymous, gateway, worker):
        client.close()
