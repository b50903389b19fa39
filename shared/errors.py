"""Task error types the worker raises and the projector reports.

Permanence is declared by the exception's class: a ``PermanentTaskError`` (every engine
raises its own subclasses of it for errors no retry can fix, such as an LLM endpoint's
4xx) fails the task at once, is logged without a traceback, and is reported as not
retryable. Anything else a task raises is treated as transient and retried with backoff
up to the cap.
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


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying the task cannot help, as the exception declares it."""
    return isinstance(exc, PermanentTaskError)
