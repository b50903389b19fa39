"""Dispatcher settings (environment variables, upper-cased field names)."""

import os
import socket
from typing import Self

from pydantic import Field, model_validator

from shared.settings import OpsSettings


def _default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class DispatcherSettings(OpsSettings):
    ops_port: int = Field(default=9101, ge=0, le=65535, description="See OpsSettings.")
    consumer_name: str = Field(default_factory=_default_consumer)
    dispatch_batch_size: int = Field(
        default=100, ge=1, le=10_000, description="Entries read and dispatched per batch."
    )
    dedupe_ttl_seconds: int = Field(default=24 * 3600, ge=60, description="Sent-task memory.")
    group_check_interval: float = Field(default=2.0, gt=0, description="Seconds.")
    max_event_bytes: int = Field(default=1_000_000, ge=1024, description="Larger goes to DLQ.")
    reclaim_idle: float = Field(
        default=30.0, gt=0, description="Seconds an entry stays pending before it is reclaimed."
    )
    reclaim_interval: float = Field(default=5.0, gt=0, description="Seconds between passes.")
    max_deliveries: int = Field(
        default=5, ge=1, description="Deliveries before an entry is dead-lettered."
    )
    redispatch_after: float = Field(
        default=2400.0,
        gt=0,
        description="Seconds a sent task may stay PENDING before it is sent again.",
    )
    redispatch_interval: float = Field(default=30.0, gt=0, description="Seconds between passes.")

    @model_validator(mode="after")
    def _check_redispatch(self) -> Self:
        # a sent task is found, and its send time read, through its dedupe record
        # ... and a pass must come while it lives: one every REDISPATCH_INTERVAL
        if self.redispatch_after + self.redispatch_interval >= self.dedupe_ttl_seconds:
            raise ValueError(
                "REDISPATCH_AFTER + REDISPATCH_INTERVAL must be shorter than"
                " DEDUPE_TTL_SECONDS: the redispatcher only knows a task was sent while"
                " its dedupe record lives"
            )
        return self
