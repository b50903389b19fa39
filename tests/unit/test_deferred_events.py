"""The projector's grace period for Celery's copies of lifecycle steps."""

import threading
import time
from typing import Any, cast

from services.projector.projector import Projector
from services.projector.receiver import Deferred


class Recorder:
    def __init__(self, seen: set[str]) -> None:
        self._seen = seen
        self.applied: list[tuple[str, float]] = []
        self.done = threading.Event()

    def seen(self, event: dict[str, Any]) -> bool:
        return str(event["uuid"]) in self._seen

    def on_event(self, event: dict[str, Any]) -> int:
        self.applied.append((str(event["uuid"]), time.monotonic()))
        if event["uuid"] == "last":
            self.done.set()
        return 1


def test_events_wait_their_grace_and_those_applied_meanwhile_are_skipped() -> None:
    projector = Recorder(seen={"t1", "t3"})  # the lifecycle delivered these in the meantime
    deferred = Deferred(cast(Projector, projector), grace=0.2)
    threading.Thread(target=deferred.run, daemon=True).start()

    added: dict[str, float] = {}
    for task_id in ("t0", "t1", "t2", "t3"):
        added[task_id] = time.monotonic()
        deferred.add({"uuid": task_id, "type": "task-started"})
    time.sleep(0.05)  # a second burst, queued behind the first
    for task_id in ("t4", "last"):
        added[task_id] = time.monotonic()
        deferred.add({"uuid": task_id, "type": "task-started"})

    assert projector.done.wait(5)
    assert [task_id for task_id, _ in projector.applied] == ["t0", "t2", "t4", "last"]
    for task_id, at in projector.applied:
        assert at - added[task_id] >= 0.2
