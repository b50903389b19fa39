import gc
import weakref

from shared.heap import freeze_startup_heap


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
