"""The task status record's one writer: named transitions in one Lua script.

``names``: the transitions and the status each leads to; ``changes``: a transition to
apply (and the ones the gateway, the dispatcher and redrive make); ``script``: the Lua
script, its enums generated from Python's; ``writer``: applies changes, pipelined, from
a synchronous or an asyncio Redis client. The projector makes the others from the
worker's lifecycle entries (``services.projector.handlers``).
"""

from shared.task_state.changes import Change, accept, redrive, refuse
from shared.task_state.names import TransitionName
from shared.task_state.writer import Applied, AsyncStateWriter, StateConfig, StateWriter

__all__ = [
    "Applied",
    "AsyncStateWriter",
    "Change",
    "StateConfig",
    "StateWriter",
    "TransitionName",
    "accept",
    "redrive",
    "refuse",
]
