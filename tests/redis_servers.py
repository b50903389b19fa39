"""Redis servers a test owns: with TLS, with passwords or ACL users (never the shared one)."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.redis_server import free_port, server_binary


@dataclass
class Certificates:
    ca: Path
    cert: Path
    key: Path


def make_certificates(directory: Path) -> Certificates:
    """A CA and a server certificate for 127.0.0.1 and localhost (openssl's command line)."""
    if not shutil.which("openssl"):
        pytest.skip("no openssl command to make test certificates")
    d = directory

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=test CA")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=127.0.0.1")  # fmt: skip
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "1", "-out", "server.crt",
            "-extfile", "san.cnf")  # fmt: skip
    return Certificates(d / "ca.crt", d / "server.crt", d / "server.key")


def tls_server_binary() -> str:
    """A Redis server that may have TLS built in (the bundled valkey has not)."""
    found = shutil.which("redis-server")
    if not found:
        pytest.skip("no redis-server on PATH (the bundled server has no TLS)")
    return found


@contextmanager
def redis_server(
    directory: Path, *args: str, binary: str = "", tls: Certificates | None = None
) -> Iterator[int]:
    """A server on a free port with extra ``args`` (TLS only, with ``tls``); its port.
    Stopped on exit."""
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    command = [binary or server_binary(), "--bind", "127.0.0.1", "--dir", str(directory),
               "--save", "", "--appendonly", "no", "--logfile", str(directory / "server.log"),
               *args]  # fmt: skip
    if tls is None:
        command += ["--port", str(port)]
    else:
        command += ["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tls.cert),
                    "--tls-key-file", str(tls.key), "--tls-ca-cert-file", str(tls.ca),
                    "--tls-auth-clients", "no"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                log = (directory / "server.log").read_text(errors="replace")[-2000:]
                if tls is not None and "TLS" in log:
                    pytest.skip(f"this Redis server has no TLS: {log.strip()[-200:]}")
                raise RuntimeError(f"Redis exited at start: {log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
