"""Projector settings (environment variables, upper-cased field names)."""

import os
import socket

from pydantic import Field

from shared.settings import OpsSettings


def _default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ProjectorSettings(OpsSettings):
    ops_port: int = Field(default=9103, ge=0, le=65535, description="See OpsSettings.")
    reconnect_max_delay: float = Field(default=5.0, gt=0, description="Seconds.")
    projector_group: str = "summarization-projector"
    projector_consumer: str = Field(default_factory=_default_consumer)
    reconcile_interval: float = Field(default=15.0, gt=0, description="Seconds between passes.")
    reconcile_after: float = Field(
        default=30.0, gt=0, description="Seconds a task stays non-terminal before a check."
    )
    lifecycle_claim_idle: float = Field(
        default=30.0, gt=0, description="Seconds before a dead consumer's entries are claimed."
    )
    lifecycle_batch_wait: float = Field(
        default=0.002,
        ge=0,
        le=1.0,
        description="Seconds the lifecycle reader waits after a batch, so the next is fuller.",
    )
