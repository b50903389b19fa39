"""The private internals of libraries this system relies on, one module per library.

Everything here reaches past a library's public API, because the public API cannot do
what is needed (each module says why). Nothing outside this package touches those
internals; each one is exercised by a contract test (``tests/contracts/``) that fails,
naming the library's version, when an upgrade changes it; ``pyproject.toml`` pins the
libraries below their next major (or minor, before 1.0) version.

* ``faststream``: the readable JSON envelope of stream entries, a batch's raw entries,
  restarting a subscriber that stopped;
* ``kombu``: a Redis transport that survives losing Redis mid-task, and sweeping
  cancelled timers out of the event loop's heap;
* ``redis``: a connection whose answers are read later (a task start without a wait);
* ``glibc``: ``malloc_trim``.
"""
