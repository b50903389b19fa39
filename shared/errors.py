"""Task error types the worker raises and the projector reports.

A ``PermanentTaskError`` fails the task at once: retrying cannot help. Anything else a
task raises is treated as transient and retried with backoff up to the cap.
"""


class PermanentTaskError(Exception):
    """The request itself is at fault (missing data, invalid input)."""


class SessionNotFound(PermanentTaskError):
    pass


class CandidateNotFound(PermanentTaskError):
    pass


class InvalidTaskInput(PermanentTaskError):
    pass


class NothingToSummarize(PermanentTaskError):
    """The source holds no text the requested mode can use."""


class TaskTimedOut(PermanentTaskError):
    """The task ran past its soft time limit."""


class TaskOfAnotherTenant(PermanentTaskError):
    """The task id already holds another tenant's summary (a producer reused an id)."""
