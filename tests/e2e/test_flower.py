"""The README's Flower command runs as written in the project's venv, behind basic auth."""

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from shared.redis_server import free_port
from tests.stack import wait_for

pytestmark = pytest.mark.e2e

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def readme_command() -> str:
    match = re.search(r"\*\*Flower\*\*: `([^`]+)`", README)
    assert match, "the README names the Flower command"
    return match.group(1)


def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    venv_bin = str(Path(sys.executable).parent)  # what an activated venv puts on PATH
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {readme_command()}"],
        env={**os.environ, **env, "PATH": f"{venv_bin}:{os.environ['PATH']}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    stdout = proc.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")), daemon=True).start()
    return proc, lines


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_flower_starts_and_requires_basic_auth(stack_env: dict[str, str]) -> None:
    port = free_port()
    env = {**stack_env, "ENVIRONMENT": "development", "FLOWER_PORT": str(port)}
    env.pop("FLOWER_BASIC_AUTH", None)
    proc, lines = start(env)
    url = f"http://127.0.0.1:{port}"
    try:

        def answering() -> bool:
            assert proc.poll() is None, "".join(lines)
            try:
                return httpx.get(f"{url}/healthcheck", timeout=1).status_code in (200, 401)
            except httpx.HTTPError:
                return False

        wait_for(answering, 60, "Flower to listen")
        printed = re.search(r"user: (\S+)\s+password: (\S+)", "".join(lines))
        assert printed, "".join(lines)
        user, password = printed.groups()
        for path in ("/", "/api/workers", "/api/tasks"):
            assert httpx.get(f"{url}{path}").status_code == 401, path
            assert httpx.get(f"{url}{path}", auth=(user, "wrong")).status_code == 401, path
            assert httpx.get(f"{url}{path}", auth=(user, password)).status_code == 200, path
    finally:
        stop(proc)


def test_flower_refuses_to_start_without_credentials_in_production(
    stack_env: dict[str, str],
) -> None:
    env = {**stack_env, "ENVIRONMENT": "production", "FLOWER_PORT": str(free_port())}
    env.pop("FLOWER_BASIC_AUTH", None)
    proc, lines = start(env)
    try:
        assert proc.wait(timeout=60) != 0
    finally:
        stop(proc)
    assert "FLOWER_BASIC_AUTH" in "".join(lines)
