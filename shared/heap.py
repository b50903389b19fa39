"""Keep the start-up heap out of Python's full garbage collections.

A long-running service allocates most of its objects once, at start-up (modules,
pydantic models, FastAPI's routes, clients), and Python's full collection rescans all of
them whenever enough new objects have survived. In the gateway that froze the event
loop: 1 status read in 100 took about 85 ms instead of 9 (wrk, 8 connections), and
reads/s rose from 1,215 to 1,637 once the start-up heap was frozen.
"""

import ctypes
import gc
import threading


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
    memory rose in steps (+12 MB over 200,000 tasks, in three soaks) while its Python
    heap stayed flat (tracemalloc), and trimming every 60 s kept it flat."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    stopped = stop or threading.Event()

    def run() -> None:
        while not stopped.wait(seconds):
            trim(0)

    thread = threading.Thread(target=run, name="malloc-trim", daemon=True)
    thread.start()
    return thread
