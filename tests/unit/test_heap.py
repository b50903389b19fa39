import ctypes
import gc
import threading
import time
import weakref

import pytest

from shared import heap
from shared.adapters import glibc
from shared.heap import freeze_startup_heap, trim_malloc_arenas_every


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_startup_garbage_is_collected_and_the_rest_frozen() -> None:
    garbage = weakref.ref(Node())
    kept = [Node() for _ in range(100)]
    try:
        freeze_startup_heap()
        assert garbage() is None  # collected, not frozen for the process's lifetime
        tracked = {id(o) for o in gc.get_objects()}  # what later collections scan
        assert not any(id(node) in tracked for node in kept)
    finally:
        gc.unfreeze()


class FakeLibc:
    def __init__(self) -> None:
        self.calls: list[int] = []
        self.called = threading.Event()

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(pad)
        self.called.set()
        return 1


def test_the_allocator_is_trimmed_periodically(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = FakeLibc()
    monkeypatch.setattr(heap, "malloc_trim", lambda: libc.malloc_trim)
    stop = threading.Event()
    thread = trim_malloc_arenas_every(0.01, stop)
    try:
        assert libc.called.wait(2), "malloc_trim was never called"
        time.sleep(0.05)
        assert len(libc.calls) >= 2  # repeatedly
        assert set(libc.calls) == {0}  # all free pages
    finally:
        stop.set()
    assert thread is not None
    thread.join(2)
    assert not thread.is_alive()


def test_without_glibc_nothing_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> ctypes.CDLL:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(glibc.ctypes, "CDLL", missing)
    assert glibc.malloc_trim() is None
    assert trim_malloc_arenas_every(0.01) is None  # no thread, no error
