"""structlog for every process: JSON lines off a terminal, console rendering on one.

The standard library's loggers (Celery, uvicorn, FastStream) go through the same
processors, so every line of a process has the same shape. ``sys.stdout`` and
``sys.stderr`` mask secrets too, so that nothing printed (a banner, a traceback, a
library's own output) shows a password.
"""

import logging
import sys
from collections.abc import Mapping
from typing import Any, Literal, TextIO, cast

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from shared.redaction import RedactedStream, redact_text
from shared.telemetry import trace_ids

LogFormat = Literal["auto", "json", "console"]


def _redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact_text(value)
    return event_dict


def configure_logging(service: str, level: str = "INFO", fmt: LogFormat = "auto") -> None:
    """Configure structlog and the stdlib root logger once per process."""
    redact_standard_streams()
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
        _add_trace,
        _add_celery_task_id,
        structlog.processors.format_exc_info if use_json else _noop,
        _redact,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # drop below-level calls before any work
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # Python's warnings as log lines, not raw text
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "faststream"):
        lib_logger = logging.getLogger(name)
        lib_logger.handlers[:] = []
        lib_logger.propagate = True


def redact_standard_streams() -> None:
    """Wrap ``sys.stdout`` and ``sys.stderr`` (once) in ``RedactedStream``."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactedStream):
            setattr(sys, name, cast(TextIO, RedactedStream(stream)))


def _add_trace(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """trace_id and span_id of the current OpenTelemetry span, when there is one."""
    trace_id, span_id = trace_ids()
    if trace_id:
        event_dict.setdefault("trace_id", trace_id)
        event_dict.setdefault("span_id", span_id)
    return event_dict


def _add_celery_task_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Celery's own task lines ("Task … succeeded in …") name their task as a field too:
    Celery passes the task's id in the record's ``data``."""
    data = getattr(event_dict.get("_record"), "data", None)
    if isinstance(data, Mapping) and isinstance(data.get("id"), str):
        event_dict.setdefault("task_id", data["id"])
    return event_dict


def _noop(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    return event_dict


def _add_service(service: str) -> Processor:
    def add(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return add


def get_logger(name: str | None = None, **bound: Any) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger.bind(**bound) if bound else logger
