"""Keep the start-up heap out of Python's full garbage collections.

A long-running service allocates most of its objects once, at start-up (modules,
pydantic models, FastAPI's routes, clients), and Python's full collection rescans all of
them whenever enough new objects have survived. In the gateway that froze the event
loop: 1 status read in 100 took about 85 ms instead of 9 (wrk, 8 connections), and
reads/s rose from 1,215 to 1,637 once the start-up heap was frozen.
"""

import gc


def freeze_startup_heap() -> None:
    """Collect what start-up left behind, then exempt the rest from later collections
    (``gc.freeze``). Call it once, when the service is set up; a process that forks
    (the Celery worker) calls it before forking, so its children share those pages."""
    gc.collect()
    gc.freeze()
