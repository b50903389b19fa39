"""``summarization run``: every service in one terminal, Ctrl-C stops them all.

Finds Redis at ``REDIS_URL`` or starts the bundled server, starts the gateway,
dispatcher, worker and projector as child processes (restarting any that dies), loads
the demo sessions and prints where the gateway listens.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.cli.demo import load_demo
from shared.logging import get_logger
from shared.redis_server import BundledRedis, ensure_redis
from shared.settings import CommonSettings

log = get_logger(__name__)

SERVICES = ("gateway", "dispatcher", "worker", "projector")


@dataclass
class Child:
    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
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


def child_env(redis_url: str, bundled: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["REDIS_URL"] = redis_url
    if bundled:
        env.pop("CELERY_BROKER_URL", None)
        env.pop("CELERY_RESULT_BACKEND", None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Ctrl-C stops at once: running tasks are re-queued, not waited for
    env.setdefault("WORKER_SOFT_SHUTDOWN_TIMEOUT", "0")
    return env


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gateway not ready at {url} after {timeout:.0f}s")


def run(demo: bool = True, data_dir: Path = Path("var")) -> int:
    settings = CommonSettings()
    redis_url, server = ensure_redis(settings.redis_url, data_dir / "redis")
    env = child_env(redis_url, bundled=server is not None)
    children = [Child(name, env) for name in SERVICES]
    stopping = False

    def request_stop(signum: int, _: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for child in children:
            child.start()
        host = os.environ.get("HOST", "127.0.0.1")
        gateway_url = f"http://{host}:{os.environ.get('PORT', '8000')}"
        wait_ready(gateway_url)
        if demo:
            load_demo(gateway_url)
        bundled = "  (bundled)" if server else ""
        print(f"\nSummarization services are up.\n  gateway: {gateway_url}/docs")
        print(f"  redis:   {redis_url}{bundled}\nCtrl-C stops everything.\n")
        sys.stdout.flush()
        while not stopping:
            time.sleep(0.5)
            for child in children:
                if child.process and child.process.poll() is not None and not stopping:
                    child.restarts += 1
                    log.error(
                        "service_exited_restarting",
                        service=child.name,
                        code=child.process.returncode,
                        restarts=child.restarts,
                    )
                    time.sleep(min(5.0, 0.5 * child.restarts))
                    child.start()
        return 0
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait(timeout=30)
        if server is not None:
            _stop_bundled(server)


def _stop_bundled(server: BundledRedis) -> None:
    server.stop()
    log.info("bundled_redis_stopped")
