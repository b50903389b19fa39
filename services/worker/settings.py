"""Worker settings (environment variables, upper-cased field names)."""

from typing import Literal

from pydantic import Field

from shared.settings import CommonSettings


class WorkerSettings(CommonSettings):
    ops_port: int = Field(
        default=9102, ge=0, le=65535, description="/healthz /readyz /metrics; 0 = any free port"
    )
    summarizer_engine: str = Field(default="extractive", description="extractive | fake")
    fake_work_seconds: float = Field(
        default=0.0, ge=0, description="With the fake engine: simulated work per session."
    )
    worker_concurrency: int = Field(default=2, ge=1)
    worker_pool: Literal["prefork", "threads", "solo"] = "prefork"
    worker_queues: str = Field(default="", description="Comma-separated; default: both queues.")
    worker_prefetch_multiplier: int = Field(default=1, ge=1)
    retry_max: int = Field(default=3, ge=0, description="Retries after the first attempt.")
    retry_backoff_base: float = Field(default=60.0, ge=0, description="Seconds: base * 2**n.")
    retry_backoff_max: float = Field(default=3600.0, ge=0, description="Cap on one delay.")
    retry_jitter: float = Field(
        default=0.1, ge=0, le=1, description="Up to this fraction of the delay added at random."
    )

    def queue_list(self) -> list[str]:
        names = [q.strip() for q in self.worker_queues.split(",") if q.strip()]
        return names or [self.queue_session, self.queue_profile]
