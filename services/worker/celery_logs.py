"""Celery's own output as the worker's log lines: JSON like the rest, joined to its task.

* Celery prints its start-up banner and its shutdown notices ("worker: Warm shutdown
  (MainProcess)") straight to the terminal, past logging: a JSON log got plain lines.
  The banner is left out (``--quiet``) and its facts logged as ``worker_starting``; the
  notices go through logging.
* Celery's "Task … received" line is logged in the main process, where no span is
  current: it is replaced by ``task_received``, logged in the trace context the task's
  message carries (its ``traceparent`` header), with the task's id.
* The bound task id and candidate of a pool process are cleared once its task ends, so
  that no later line is attributed to it.
"""

import logging
import sys
from typing import Any

import structlog
from celery import signals
from celery.apps import worker as celery_worker

from shared.logging import get_logger
from shared.telemetry import context_from, use_context

log = get_logger(__name__)

RECEIVED_LOGGER = "celery.worker.strategy"
SHUTDOWN_LOGGER = "celery.apps.worker"


def route_celery_output() -> None:
    """Connect the hooks (once per process, before the worker starts)."""
    celery_worker.safe_say = _say  # type: ignore[attr-defined]  # the shutdown notices
    logging.getLogger(RECEIVED_LOGGER).setLevel(logging.WARNING)
    signals.celeryd_after_setup.connect(_starting, weak=False)
    signals.task_received.connect(_received, weak=False)
    signals.task_postrun.connect(_unbind, weak=False)


def _say(msg: str, f: Any = sys.__stderr__) -> None:
    logging.getLogger(SHUTDOWN_LOGGER).warning(msg.strip())


def _starting(sender: str, instance: Any, conf: Any, **_: Any) -> None:
    consumer = instance.app.amqp.queues
    log.info(
        "worker_starting",
        hostname=sender,
        pool=conf.worker_pool,
        concurrency=instance.concurrency,
        queues=sorted(consumer.consume_from or consumer),
        prefetch_multiplier=conf.worker_prefetch_multiplier,
        soft_shutdown_timeout=conf.worker_soft_shutdown_timeout,
    )


def _received(request: Any, **_: Any) -> None:
    headers = request.request_dict if isinstance(request.request_dict, dict) else {}
    carrier = {k: v for k, v in headers.items() if k in ("traceparent", "tracestate")}
    with use_context(context_from(carrier)):
        log.info("task_received", task_id=request.id, task=request.name, eta=request.eta)


def _unbind(**_: Any) -> None:
    structlog.contextvars.unbind_contextvars("task_id", "candidate_id", "attempt")
