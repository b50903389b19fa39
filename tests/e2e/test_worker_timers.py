"""A real prefork worker sweeps its finished tasks' time-limit timers out of its main
process (celery/celery#1129: Celery keeps each cancelled one until its limit passes)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.celery_app import make_celery
from shared.settings import CommonSettings
from tests.stack import Stack, wait_for

TRANSCRIPT = [{"role": "candidate", "speaker": "Ada", "text": "I run the payments platform."}]


@pytest.fixture
def worker(stack_env: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    env = {
        **stack_env,
        "SUMMARIZER_ENGINE": "fake",
        "LOG_LEVEL": "DEBUG",
        "WORKER_TIMER_PURGE_SECONDS": "1",
    }
    stack = Stack(env, tmp_path)
    try:
        yield stack.start("worker")
    finally:
        stack.stop()


def test_cancelled_time_limit_timers_are_swept(
    worker: Stack, stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    settings = CommonSettings()
    app = make_celery(settings)
    results = [
        app.send_task(
            "summarization.summarize_session",
            kwargs={"session_id": f"s{i}", "candidate_id": "c", "transcript": TRANSCRIPT},
            queue=settings.queue_session,
        )
        for i in range(20)
    ]
    for result in results:
        result.get(timeout=60)

    def swept() -> int:
        removed = 0
        for line in worker.services["worker"].logs().splitlines():
            if '"cancelled_timers_purged"' in line:
                removed += json.loads(line)["removed"]
        return removed

    # every task armed a soft-limit timer (25 min) and cancelled it when it finished
    wait_for(lambda: swept() >= len(results), 10, "the sweep of 20 tasks' timers")
