"""Keep the start-up heap out of Python's full garbage collections.

A long-running service allocates most of its objects once, at start-up (modules,
pydantic models, FastAPI's routes, clients), and Python's full collection rescans all of
them whenever enough new objects have survived: in the gateway that froze the event
loop for the status reads caught behind it (BENCHMARKS.md has the figures).
"""

import gc
import threading

from shared.adapters.glibc import malloc_trim


def freeze_startup_heap() -> None:
    """Collect what start-up left behind, then exempt the rest from later collections
    (``gc.freeze``). Call it once, when the service is set up; a process that forks
    (the Celery worker) calls it before forking, so its children share those pages."""
    gc.collect()
    gc.freeze()


def trim_malloc_arenas_every(
    seconds: float, stop: threading.Event | None = None
) -> threading.Thread | None:
    """Give the C allocator's free pages back to the system every ``seconds`` (until
    ``stop``), in a daemon thread: glibc's ``malloc_trim``; elsewhere nothing (None).

    glibc keeps what a thread frees in that thread's arena: the projector's resident
    memory rose in steps while its Python heap stayed flat, and trimming kept it flat
    (BENCHMARKS.md, the soak)."""
    trim = malloc_trim()
    if trim is None:
        return None
    stopped = stop or threading.Event()

    def run() -> None:
        while not stopped.wait(seconds):
            trim(0)

    thread = threading.Thread(target=run, name="malloc-trim", daemon=True)
    thread.start()
    return thread
