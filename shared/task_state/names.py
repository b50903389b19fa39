"""The named transitions of a task's status record, and the status each leads to."""

from enum import StrEnum

from contracts.status import TaskStatus


class TransitionName(StrEnum):
    ACCEPT = "accept"
    """A request recorded (gateway, dispatcher): creates the record, changes no other."""
    REFUSE = "refuse"
    """The dispatcher refused the request (invalid): its task fails, unless already sent."""
    START = "start"
    RETRY = "retry"
    SUCCEED = "succeed"
    FAIL = "fail"
    REVOKE = "revoke"
    REDRIVE = "redrive"
    """A finished task submitted again: PENDING, its history (attempts, chain) kept."""

    @property
    def target(self) -> TaskStatus:
        return TARGET[self]


TARGET: dict[TransitionName, TaskStatus] = {
    TransitionName.ACCEPT: TaskStatus.PENDING,
    TransitionName.REFUSE: TaskStatus.FAILURE,
    TransitionName.START: TaskStatus.STARTED,
    TransitionName.RETRY: TaskStatus.RETRY,
    TransitionName.SUCCEED: TaskStatus.SUCCESS,
    TransitionName.FAIL: TaskStatus.FAILURE,
    TransitionName.REVOKE: TaskStatus.REVOKED,
    TransitionName.REDRIVE: TaskStatus.PENDING,
}
