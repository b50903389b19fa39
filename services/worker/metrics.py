"""The worker's metrics, recorded in the pool's processes and added up by the main
process's ``/metrics`` (multiprocess mode, ``shared.metrics_multiprocess``).

Every metric has labels: a labelled value is made on its first use, in the pool process
that uses it, after multiprocess mode was turned on in the main process.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800)

STARTED = Counter(
    "summarization_worker_tasks_started_total", "Task runs started (one per attempt)",
    ["kind", "engine"],
)  # fmt: skip
SUCCEEDED = Counter(
    "summarization_worker_tasks_succeeded_total", "Task runs that made their summary",
    ["kind", "engine"],
)  # fmt: skip
FAILED = Counter(
    "summarization_worker_tasks_failed_total",
    "Task runs that failed; retried=true when another attempt is scheduled",
    ["kind", "engine", "error_type", "retried"],
)
DURATION = Histogram(
    "summarization_worker_task_duration_seconds", "One task run, start to end",
    ["kind", "engine", "outcome"], buckets=BUCKETS,
)  # fmt: skip
LLM_TOKENS = Counter(
    "summarization_llm_tokens_total",
    "Tokens of LLM requests: type prompt or completion; counted as the server reported "
    "them, or estimated when it did not",
    ["model", "type", "counted"],
)
LLM_LATENCY = Histogram(
    "summarization_llm_request_duration_seconds", "One chat-completions request",
    ["model", "outcome"], buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)  # fmt: skip


class TaskRun:
    """One run of a task: started when made, finished once with its outcome."""

    def __init__(self, kind: str, engine: str) -> None:
        self.kind, self.engine = kind, engine
        self._started = time.perf_counter()
        STARTED.labels(kind, engine).inc()

    def succeeded(self) -> None:
        SUCCEEDED.labels(self.kind, self.engine).inc()
        self._duration("succeeded")

    def failed(self, error: BaseException, retried: bool) -> None:
        FAILED.labels(self.kind, self.engine, type(error).__name__, str(retried).lower()).inc()
        self._duration("retried" if retried else "failed")

    def _duration(self, outcome: str) -> None:
        elapsed = time.perf_counter() - self._started
        DURATION.labels(self.kind, self.engine, outcome).observe(elapsed)


@contextmanager
def llm_request(model: str) -> Iterator[None]:
    """Times one request; its outcome is the exception's type, or ``ok``."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        LLM_LATENCY.labels(model, outcome).observe(time.perf_counter() - started)


def llm_tokens(model: str, prompt: int, completion: int, reported: bool) -> None:
    counted = "reported" if reported else "estimated"
    LLM_TOKENS.labels(model, "prompt", counted).inc(prompt)
    LLM_TOKENS.labels(model, "completion", counted).inc(completion)
