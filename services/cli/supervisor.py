"""``summarization run``: every service in one terminal, Ctrl-C stops them all.

Finds Redis at ``REDIS_URL`` or starts the bundled server, starts the gateway,
dispatcher, worker and projector as child processes, waits until each answers its
``/readyz``, loads the demo sessions and prints where everything listens.

Several stacks may run on one host: each child's ops server gets a free port unless
``OPS_PORT_<SERVICE>`` names one, and the default store is one SQLite file per Redis
(derived from the ``REDIS_URL`` asked for, not from the bundled server's random port).
A child that dies is restarted; one that keeps dying right after its start (a port in
use, a wrong setting) makes the supervisor stop everything and exit non-zero.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.cli.demo import load_demo
from services.cli.settings import RunSettings
from shared.logging import get_logger
from shared.redis_server import BundledRedis, ensure_redis, free_port

log = get_logger(__name__)

SERVICES = ("gateway", "dispatcher", "worker", "projector")
FAST_EXIT_SECONDS = 10.0
"""An exit this soon after the start counts as a failure to start."""
MAX_FAST_EXITS = 3
"""Failures to start in a row after which the supervisor gives up."""
READY_TIMEOUT = 120.0


class GiveUp(Exception):
    """The stack cannot run as configured; the message says why."""


@dataclass
class Child:
    name: str
    env: dict[str, str]
    ops_port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    fast_exits: int = 0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"], env=self.env
        )
        self.started_at = time.monotonic()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        if not self.process:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def child_env(redis_url: str, bundled: bool, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["REDIS_URL"] = redis_url
    env["DATABASE_URL"] = database_url
    if bundled:
        env.pop("CELERY_BROKER_URL", None)
        env.pop("CELERY_RESULT_BACKEND", None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Ctrl-C stops at once: running tasks are re-queued, not waited for
    env.setdefault("WORKER_SOFT_SHUTDOWN_TIMEOUT", "0")
    return env


def make_children(settings: RunSettings, env: dict[str, str]) -> list[Child]:
    children = []
    for name in SERVICES:
        if name == "gateway":
            children.append(Child(name, env))
            continue
        port = settings.ops_port_for(name) or free_port()
        children.append(Child(name, {**env, "OPS_PORT": str(port)}, ops_port=port))
    return children


def restart_exited(children: list[Child], stopping: Callable[[], bool]) -> None:
    """Restart every child that exited; raise ``GiveUp`` when one keeps failing to start."""
    for child in children:
        if stopping() or child.process is None or child.process.poll() is None:
            continue
        code = child.process.returncode
        quick = time.monotonic() - child.started_at < FAST_EXIT_SECONDS
        child.fast_exits = child.fast_exits + 1 if quick else 0
        if child.fast_exits >= MAX_FAST_EXITS:
            port = "PORT" if child.name == "gateway" else f"OPS_PORT_{child.name.upper()}"
            raise GiveUp(
                f"the {child.name} exited {child.fast_exits} times within"
                f" {FAST_EXIT_SECONDS:.0f} s of its start (last exit code {code}); its own"
                f" error is above (a port in use? set {port}, or stop the other stack)"
            )
        child.restarts += 1
        # a clean exit (someone stopped it) is no error; it is restarted all the same
        report = log.info if code == 0 else log.error
        report("service_exited_restarting", service=child.name, code=code, restarts=child.restarts)
        time.sleep(min(5.0, 0.5 * child.restarts))
        child.start()


def wait_ready(children: list[Child], urls: dict[str, str], stopping: Callable[[], bool]) -> None:
    """Until every ``/readyz`` answers 200, restarting children that die meanwhile."""
    pending = dict(urls)
    deadline = time.monotonic() + READY_TIMEOUT
    while pending and not stopping():
        restart_exited(children, stopping)
        for name, url in list(pending.items()):
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        if pending and time.monotonic() > deadline:
            raise GiveUp(f"not ready after {READY_TIMEOUT:.0f} s: {', '.join(pending)}")
        time.sleep(0.2)


def banner(urls: dict[str, str], redis_url: str, bundled: bool, database_url: str) -> str:
    width = max(len(name) for name in urls) + 2
    lines = ["", "Summarization services are up."]
    lines += [
        f"  {name + ':':<{width}}{url}/docs"
        if name == "gateway"
        else f"  {name + ':':<{width}}{url}/readyz  (and /healthz, /metrics)"
        for name, url in urls.items()
    ]
    lines.append(f"  {'redis:':<{width}}{redis_url}{'  (bundled)' if bundled else ''}")
    lines.append(f"  {'store:':<{width}}{database_url}")
    lines += ["Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def announce(text: str) -> None:
    """Print for the operator. stdout masks secrets (``shared.logging``), so a password
    in a Redis or database URL never reaches the terminal."""
    print(text, flush=True)


def _gateway_port_taken(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def run(demo: bool = True, data_dir: Path = Path("var")) -> int:
    settings = RunSettings()
    gateway_url = f"http://{_reachable(settings.host)}:{settings.port}"
    if _gateway_port_taken(_reachable(settings.host), settings.port):
        print(
            f"summarization run: {gateway_url} is already in use (another stack?);"
            " set PORT to another port",
            file=sys.stderr,
        )
        return 1
    redis_url, server = ensure_redis(settings.redis_url, data_dir / "redis")
    env = child_env(redis_url, server is not None, settings.database_url)
    children = make_children(settings, env)
    stopping = False

    def request_stop(signum: int, _: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    ops_host = _reachable(settings.ops_host)
    urls = {"gateway": gateway_url} | {
        c.name: f"http://{ops_host}:{c.ops_port}" for c in children if c.ops_port
    }
    try:
        for child in children:
            child.start()
        log.info(
            "services_starting", ops_ports={c.name: c.ops_port for c in children if c.ops_port}
        )
        wait_ready(children, urls, lambda: stopping)
        if stopping:
            return 0
        if demo:
            load_demo(gateway_url)
        announce(banner(urls, redis_url, server is not None, settings.database_url))
        while not stopping:
            time.sleep(0.5)
            restart_exited(children, lambda: stopping)
        return 0
    except GiveUp as exc:
        print(f"summarization run: giving up: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait(timeout=30)
        if server is not None:
            _stop_bundled(server)


def _reachable(host: str) -> str:
    """The address to connect to for a server listening on ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def _stop_bundled(server: BundledRedis) -> None:
    server.stop()
    log.info("bundled_redis_stopped")
