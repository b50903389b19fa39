"""`make run`'s supervisor on a machine where no Redis answers: the bundled one starts."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from shared.redis_server import free_port, is_reachable
from tests.stack import wait_for

pytestmark = pytest.mark.e2e


def test_run_starts_the_bundled_redis_and_every_service(tmp_path: Path) -> None:
    dead_url = f"redis://127.0.0.1:{free_port()}/0"
    assert not is_reachable(dead_url)
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": dead_url,
        "PORT": str(port),
        "LOG_FORMAT": "json",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "PYTHONUNBUFFERED": "1",
    }
    for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(key, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    threading.Thread(
        target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True
    ).start()  # type: ignore[union-attr]
    try:
        wait_for(lambda: any("services are up" in line for line in lines) or proc.poll(), 60, "up")
        assert proc.poll() is None, "".join(lines)[-3000:]
        banner = "".join(lines)
        assert "(bundled)" in banner
        assert (tmp_path / "var" / "redis").is_dir()
        url = f"http://127.0.0.1:{port}"
        [export] = [line for line in lines if "export SUMMARIZATION_API_KEY=" in line]
        auth = {"Authorization": f"Bearer {export.strip().split('=', 1)[1]}"}
        assert httpx.get(f"{url}/sessions/demo-session-1").status_code == 401
        assert httpx.get(f"{url}/sessions/demo-session-1", headers=auth).status_code == 200
        accepted = httpx.post(
            f"{url}/summarization/summarize-session",
            json={"session_id": "demo-session-1", "candidate_id": "demo-candidate-1"},
            headers=auth,
        ).json()
        status: dict[str, object] = {}

        def finished() -> bool:
            nonlocal status
            status = httpx.get(
                f"{url}/summarization/task-status/{accepted['task_id']}", headers=auth
            ).json()
            return status["status"] == "SUCCESS"

        wait_for(finished, 30, "the demo session's summary")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert code == 0, "".join(lines)[-3000:]
    bundled_url = next(line for line in lines if line.startswith("  redis:")).split()[1]
    assert not is_reachable(bundled_url), "Ctrl-C stops the bundled Redis too"
