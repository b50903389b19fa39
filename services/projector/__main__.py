"""``summarization-projector`` / ``python -m services.projector``.

One projector, two inputs: the worker's durable lifecycle stream (every step of every
task, read in a consumer group) and the reconciler (what no entry reports); Celery's
pub/sub events give the worker heartbeats (main thread).
"""

import signal
import sys
import threading
from types import FrameType

from prometheus_client import REGISTRY

from services.projector.heartbeats import track_heartbeats
from services.projector.lifecycle import LifecycleConsumer
from services.projector.projector import Projector
from services.projector.reconciler import Reconciler
from services.projector.results import ResultReader
from services.projector.settings import ProjectorSettings
from shared.celery_app import make_celery
from shared.heap import freeze_startup_heap, trim_malloc_arenas_every
from shared.logging import configure_logging, get_logger
from shared.metrics import RedisStateCollector
from shared.ops_server import ops_server
from shared.redis_client import sync_redis
from shared.task_state import StateConfig, StateWriter
from shared.telemetry import configure_tracing


def _exit(signum: int, _: FrameType | None) -> None:
    get_logger(__name__).info("projector_stopping", signal=signum)
    sys.exit(0)


def main() -> None:
    settings = ProjectorSettings()
    configure_logging("projector", settings.log_level, settings.log_format)
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)  # Ctrl-C: the same clean stop, no traceback
    configure_tracing("projector")
    app = make_celery(settings)
    writer = StateWriter(
        sync_redis(settings.redis_url, settings.redis_tls, decode=False),
        StateConfig.of(settings),
    )
    results = ResultReader(app)
    projector = Projector(writer, results.meta, settings.stream_lifecycle)
    state = sync_redis(settings.redis_url, settings.redis_tls)
    lifecycle = LifecycleConsumer(settings, state, projector)
    reconciler = Reconciler(settings, state, results, projector)
    REGISTRY.register(RedisStateCollector(state, settings))
    ping = state.ping
    ops_server(
        "projector",
        settings,
        {"redis": ping},
        lambda: {"service": "projector", "reconciler_repairs": reconciler.repairs},
    ).start()
    threading.Thread(target=lifecycle.run, name="lifecycle", daemon=True).start()
    threading.Thread(target=reconciler.run, name="reconciler", daemon=True).start()
    freeze_startup_heap()
    trim_malloc_arenas_every(60.0)
    track_heartbeats(app, settings.reconnect_max_delay)


if __name__ == "__main__":
    main()
