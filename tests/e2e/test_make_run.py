"""`make run`'s supervisor: the bundled Redis when none answers, several stacks on one
host, a service that cannot start, and nothing secret on the terminal."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from shared.redis_server import free_port, is_reachable, server_binary
from tests.stack import listening_address, wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "s3cr3t-redis-pw"


@dataclass
class Supervisor:
    """``summarization run`` as a real process, its output collected line by line."""

    env: dict[str, str]
    cwd: Path
    lines: list[str] = field(default_factory=list)
    proc: subprocess.Popen[str] | None = None
    reader: threading.Thread | None = None

    def start(self) -> "Supervisor":
        env = {**os.environ, "LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1", **self.env}
        for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL", "OPS_PORT"):
            if key not in self.env:
                env.pop(key, None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run"],
            cwd=self.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        stdout = self.proc.stdout
        assert stdout is not None
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(iter(stdout.readline, "")), daemon=True
        )
        self.reader.start()
        return self

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_up(self) -> None:
        assert self.proc is not None
        wait_for(lambda: "services are up" in self.output or self.proc.poll(), 150, "up")
        assert self.proc.poll() is None, self.output[-3000:]

    def banner(self, name: str) -> str:
        """The value printed after ``  name:`` in the banner."""
        return next(line for line in self.lines if line.startswith(f"  {name}:")).split()[1]

    def ops_port(self, name: str) -> int:
        return int(self.banner(name).split(":")[-1].split("/")[0])

    def logs(self, event: str) -> list[dict[str, object]]:
        found = []
        for line in self.lines:
            if line.startswith("{") and f'"{event}"' in line:
                record = json.loads(line)
                if record.get("event") == event:
                    found.append(record)
        return found

    def child_pid(self, service: str) -> int:
        assert self.proc is not None
        pid = self.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            if f"services.{service}" in Path(f"/proc/{child}/cmdline").read_text():
                return int(child)
        raise AssertionError(f"no {service} child of {pid}")

    def stop(self) -> int:
        """Ctrl-C; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise
        finally:
            if self.reader is not None:
                self.reader.join(timeout=10)


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[str]:
    """A Redis-compatible server that wants a password, as a production one would."""
    port = free_port()
    data = tmp_path / "redis-pw"
    data.mkdir()
    args = [server_binary(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data),
            "--save", "", "--appendonly", "no", "--requirepass", PASSWORD]  # fmt: skip
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    try:
        wait_for(lambda: is_reachable(url), 10, "the password-protected Redis")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.timeout(420)
def test_two_stacks_from_one_checkout_run_side_by_side(
    tmp_path: Path, redis_with_password: str
) -> None:
    """The first stack has no Redis (the bundled one starts); the second uses a Redis
    with a password. Both come up in the same directory with their own ops ports and
    their own store, and the password is never shown."""
    dead_url = f"redis://127.0.0.1:{free_port()}/0"
    assert not is_reachable(dead_url)
    first = Supervisor({"REDIS_URL": dead_url, "PORT": str(free_port())}, tmp_path).start()
    second = Supervisor({"REDIS_URL": redis_with_password, "PORT": str(free_port())}, tmp_path)
    try:
        first.wait_up()
        second.start().wait_up()
        assert "(bundled)" in first.output
        assert (tmp_path / "var" / "redis").is_dir()
        assert PASSWORD not in second.output
        assert second.banner("redis").startswith("redis://:***@127.0.0.1:")

        services = ("dispatcher", "worker", "projector")
        ports = [s.ops_port(name) for s in (first, second) for name in services]
        assert len(set(ports)) == 6, ports
        for port in ports:
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            assert listening_address(port) == "127.0.0.1", "ops servers stay on loopback"

        stores = {first.banner("store"), second.banner("store")}
        assert len(stores) == 2, "one store per Redis"
        for store in stores:
            assert (tmp_path / store.removeprefix("sqlite:///")).is_file(), store

        url = f"http://127.0.0.1:{first.env['PORT']}"
        accepted = httpx.post(
            f"{url}/summarization/summarize-session",
            json={"session_id": "demo-session-1", "candidate_id": "demo-candidate-1"},
        ).json()

        def finished() -> bool:
            status = httpx.get(f"{url}/summarization/task-status/{accepted['task_id']}")
            return bool(status.json()["status"] == "SUCCESS")

        wait_for(finished, 60, "the demo session's summary")

        # a service stopped cleanly is restarted, and its clean exit is no error
        os.kill(second.child_pid("projector"), signal.SIGTERM)
        wait_for(lambda: second.logs("service_exited_restarting"), 30, "the restart")
        [record] = second.logs("service_exited_restarting")
        assert (record["service"], record["code"], record["level"]) == ("projector", 0, "info")
        port = second.ops_port("projector")
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 60, "projector back")
    finally:
        codes = [s.stop() if s.proc else 0 for s in (second, first)]
    assert codes == [0, 0], first.output[-3000:] + second.output[-3000:]
    assert not is_reachable(first.banner("redis")), "Ctrl-C stops the bundled Redis too"


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.timeout(240)
def test_a_service_that_cannot_start_stops_the_stack(
    tmp_path: Path, stack_env: dict[str, str]
) -> None:
    """The dispatcher's ops port is taken: the supervisor gives up, says why, and exits
    non-zero instead of restarting it forever and claiming the services are up."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**stack_env, "PORT": str(free_port()), "OPS_PORT_DISPATCHER": str(port)}
        run = Supervisor(env, tmp_path).start()
        try:
            assert run.proc is not None
            wait_for(lambda: run.proc.poll() is not None, 180, "the supervisor to give up")
        finally:
            code = run.stop()
    assert code != 0
    assert "services are up" not in run.output
    assert "giving up: the dispatcher exited 3 times" in run.output, run.output[-3000:]


def test_a_gateway_port_in_use_is_refused_at_once(
    tmp_path: Path, stack_env: dict[str, str]
) -> None:
    """Another stack's gateway on PORT would answer /readyz for this one."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**stack_env, "PORT": str(taken.getsockname()[1])}
        run = Supervisor(env, tmp_path).start()
        try:
            assert run.proc is not None
            wait_for(lambda: run.proc.poll() is not None, 60, "the supervisor to refuse")
        finally:
            code = run.stop()
    assert code != 0
    assert "already in use" in run.output, run.output[-3000:]
    assert "set PORT" in run.output
