"""Simulated work time around an engine, for benchmarks and fault tests.

``FAKE_WORK_SECONDS`` adds that much (interruptible) sleep to every session summary, so
a fault test can kill a worker mid-task. A session whose first turn contains
``[[work:<seconds>]]`` sleeps that long instead (a task that outlives the soft time
limit), and one containing ``[[fail-first]]`` fails its first attempt with a transient
error (a task that retries once). Active only when ``SUMMARIZER_ENGINE=fake``.
"""

import re
import time
from collections.abc import Sequence

from celery import current_task

from contracts.summary import ProfileSummary, SessionSummary
from services.worker.summarizer import SessionSource, SessionWithSummary, Summarizer

_DIRECTIVE = re.compile(r"\[\[work:(\d+(?:\.\d+)?)\]\]")
_FAIL_FIRST = "[[fail-first]]"


class SimulatedTransientError(RuntimeError):
    """Stands for a dependency that failed once (retried like any transient error)."""


class SimulatedWork:
    def __init__(self, engine: Summarizer, seconds: float) -> None:
        self._engine = engine
        self._seconds = seconds
        self.name = engine.name
        self.version = engine.version

    def summarize_session(self, source: SessionSource) -> SessionSummary:
        first = source.turns[0].text if source.turns else ""
        if _FAIL_FIRST in first and current_task and current_task.request.retries == 0:
            raise SimulatedTransientError("simulated failure of the first attempt")
        found = _DIRECTIVE.search(first)
        seconds = float(found.group(1)) if found else self._seconds
        if seconds > 0:  # sleep(0) would still yield the CPU, at every task
            time.sleep(seconds)
        return self._engine.summarize_session(source)

    def summarize_profile(
        self, candidate_id: str, sessions: Sequence[SessionWithSummary]
    ) -> ProfileSummary:
        return self._engine.summarize_profile(candidate_id, sessions)
