"""Prometheus metrics of a service that runs as several processes (the gateway's uvicorn
workers, the worker's prefork pool): each process writes its figures to files in
``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them up (prometheus_client's
multiprocess mode).
"""

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, values
from prometheus_client.multiprocess import MultiProcessCollector

ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_metrics_dir(service: str) -> tuple[Path, bool]:
    """Turn multiprocess mode on for this process and the ones it starts or forks.

    Uses ``PROMETHEUS_MULTIPROC_DIR`` when set, else a new temporary directory; returns
    it and whether it was made here (the caller removes it at exit). Figures a previous
    run left in it are deleted: counters must start at 0 (Prometheus sees a restart
    as a counter reset). Call it before the first metric value is made: values made
    earlier stay in this process's memory, invisible to ``/metrics``."""
    made = not os.environ.get(ENV)
    path = Path(os.environ.get(ENV) or tempfile.mkdtemp(prefix=f"{service}-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[ENV] = str(path)
    # prometheus_client picks its value class when imported, which is before this
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return path, made


def remove_metrics_dir(path: Path, made: bool) -> None:
    if made:
        shutil.rmtree(path, ignore_errors=True)


def metrics_registry() -> CollectorRegistry:
    """The default registry; in multiprocess mode, one that adds up every process's
    figures."""
    if not os.environ.get(ENV):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
