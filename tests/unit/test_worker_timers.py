"""The sweep of cancelled time-limit timers out of the worker's event loop."""

import time

from kombu.asynchronous.timer import Timer

from shared.adapters.kombu import purge_cancelled


def _noop() -> None:
    pass


def test_purge_drops_cancelled_entries_and_keeps_the_rest_in_order() -> None:
    timer = Timer()
    now = time.monotonic()
    # etas in the past, shuffled, so iterating yields every live entry at once, in eta order
    etas = [now - 100 + (i * 37) % 1000 / 10 for i in range(1000)]
    entries = [timer.enter_at(Timer.Entry(_noop), eta) for eta in etas]
    for i, entry in enumerate(entries):
        if i % 10:
            timer.cancel(entry)
    scheduler = iter(timer)  # as the hub holds it: running, bound to the queue, before
    _, first = next(scheduler)  # the sweep (which must not swap the list under it)

    assert purge_cancelled(timer) == 900
    assert len(timer._queue) == 99
    fired = [etas[entries.index(first)]]
    for _ in range(99):
        _, entry = next(scheduler)
        assert entry is not None
        assert not entry.canceled
        fired.append(etas[entries.index(entry)])
    assert fired == sorted(etas[::10])
    assert next(scheduler) == (None, None)  # nothing left behind


def test_purge_without_cancelled_entries_changes_nothing() -> None:
    timer = Timer()
    for delay in (30, 10, 20):
        timer.call_after(delay, _noop)
    before = list(timer._queue)

    assert purge_cancelled(timer) == 0
    assert timer._queue == before
