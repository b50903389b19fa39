"""Start the real service processes for end-to-end and fault tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_for(
    predicate: Callable[[], object], timeout: float, what: str, every: float = 0.05
) -> None:
    """Poll ``predicate`` until it is truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def listening_address(port: int) -> str:
    """The IPv4 address a local TCP server listens on for ``port`` (from /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
            return socket.inet_ntoa(bytes.fromhex(address)[::-1])
    raise AssertionError(f"nothing listens on port {port}")


@dataclass
class Service:
    name: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Service":
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9 the whole process group (a Celery worker's children included)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive or self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Stack:
    """gateway + dispatcher + worker + projector, each a real process."""

    env: dict[str, str]
    log_dir: Path
    services: dict[str, Service] = field(default_factory=dict)
    port: int = 0

    def __post_init__(self) -> None:
        self.port = free_port()
        self.env = {**os.environ, **self.env, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    ops_ports: dict[str, int] = field(default_factory=dict)

    def start(self, *names: str, extra_env: Mapping[str, str] | None = None) -> "Stack":
        for name in names or ("gateway", "dispatcher", "worker", "projector"):
            self.ops_ports[name] = free_port()
            env = {**self.env, **(extra_env or {}), "OPS_PORT": str(self.ops_ports[name])}
            self.services[name] = Service(name, env, self.log_dir / f"{name}.log").start()
        if "gateway" in self.services and (not names or "gateway" in names):
            wait_for(self._gateway_ready, 30, "the gateway's /readyz")
        return self

    def _gateway_ready(self) -> bool:
        self._check_alive()
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def _check_alive(self) -> None:
        for service in self.services.values():
            if service.process is not None and service.process.poll() is not None:
                raise AssertionError(
                    f"{service.name} exited with {service.process.returncode}:\n"
                    + service.logs()[-3000:]
                )

    def ops(self, name: str, path: str = "/readyz") -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.ops_ports[name]}{path}", timeout=3)

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{s.logs()[-4000:]}" for n, s in self.services.items())
