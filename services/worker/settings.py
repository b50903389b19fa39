"""Worker settings (environment variables, upper-cased field names)."""

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator

from shared.settings import OpsSettings

ResponseFormat = Literal["json_schema", "json_object", "none"]

MIN_OUTPUT_SHARE = 4
"""LLM_CONTEXT_TOKENS must be at least this many times LLM_MAX_OUTPUT_TOKENS."""


class WorkerSettings(OpsSettings):
    ops_port: int = Field(default=9102, ge=0, le=65535, description="See OpsSettings.")
    summarizer_engine: str = Field(default="extractive", description="extractive | fake | llm")
    fake_work_seconds: float = Field(
        default=0.0, ge=0, description="With the fake engine: simulated work per session."
    )
    worker_concurrency: int = Field(default=2, ge=1)
    worker_pool: Literal["prefork", "threads", "solo"] = "prefork"
    worker_queues: str = Field(default="", description="Comma-separated; default: both queues.")
    worker_prefetch_multiplier: int = Field(default=1, ge=1)
    worker_timer_purge_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Seconds between sweeps of finished tasks' time-limit timers.",
    )
    worker_soft_shutdown_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Seconds running tasks get to finish after SIGTERM; then they are cancelled"
        " and re-queued at once.",
    )
    worker_enable_soft_shutdown_on_idle: bool = Field(
        default=True,
        description="Wait out the soft shutdown with no task running too (tasks held for a"
        " retry countdown are then re-queued).",
    )
    retry_max: int = Field(default=3, ge=0, description="Retries after the first attempt.")
    retry_backoff_base: float = Field(default=60.0, ge=0, description="Seconds: base * 2**n.")
    retry_backoff_max: float = Field(
        default=480.0,
        ge=0,
        description="Cap on one delay; plus TASK_TIME_LIMIT, below BROKER_VISIBILITY_TIMEOUT.",
    )
    retry_jitter: float = Field(
        default=0.1, ge=0, le=1, description="Up to this fraction of the delay added at random."
    )

    llm_base_url: str = Field(
        default="", description="OpenAI-compatible API root, e.g. https://api.openai.com/v1."
    )
    llm_model: str = Field(default="", description="Model name sent with every request.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="Sent as a Bearer token; never logged. Unset: no header."
    )
    llm_timeout_seconds: float = Field(default=60.0, gt=0, description="Per HTTP request.")
    llm_context_tokens: int = Field(
        default=8192, ge=512, description="The model's context window: prompt plus answer."
    )
    llm_max_output_tokens: int = Field(
        default=1024, ge=64, description="max_tokens of every request."
    )
    llm_response_format: ResponseFormat = Field(
        default="json_schema",
        description="json_schema (json_object when the server rejects it) | json_object | none.",
    )
    llm_json_mode: bool | None = Field(
        default=None,
        description="Deprecated: false = LLM_RESPONSE_FORMAT=none unless that is set.",
    )
    summarizer_fallback: Literal["none", "extractive"] = Field(
        default="none", description="Engine used when the LLM's answer cannot be parsed."
    )

    @property
    def response_format(self) -> ResponseFormat:
        """The ``response_format`` asked for; the deprecated ``LLM_JSON_MODE=false`` still
        turns it off when ``LLM_RESPONSE_FORMAT`` is not set."""
        if self.llm_json_mode is False and "llm_response_format" not in self.model_fields_set:
            return "none"
        return self.llm_response_format

    def queue_list(self) -> list[str]:
        names = [q.strip() for q in self.worker_queues.split(",") if q.strip()]
        return names or [self.queue_session, self.queue_profile]

    @model_validator(mode="after")
    def _check_retry_countdown(self) -> Self:
        # A retry is a message the worker holds, unacknowledged, through its countdown and
        # then its run: all of it must fit in the visibility timeout.
        longest = self.retry_backoff_max + self.task_time_limit
        if longest >= self.broker_visibility_timeout:
            raise ValueError(
                f"RETRY_BACKOFF_MAX ({self.retry_backoff_max:g} s) + TASK_TIME_LIMIT"
                f" ({self.task_time_limit} s) must stay below BROKER_VISIBILITY_TIMEOUT"
                f" ({self.broker_visibility_timeout} s): a retry waits out its countdown on a"
                " worker unacknowledged, then runs; past the visibility timeout Redis hands it"
                " to another worker as well, and it runs twice"
            )
        return self

    @model_validator(mode="after")
    def _check_llm(self) -> Self:
        if self.llm_context_tokens < MIN_OUTPUT_SHARE * self.llm_max_output_tokens:
            raise ValueError(
                f"LLM_CONTEXT_TOKENS must be at least {MIN_OUTPUT_SHARE} x LLM_MAX_OUTPUT_TOKENS"
                " (room for the prompt and the text to summarize)"
            )
        if self.summarizer_engine != "llm":
            return self
        if urlsplit(self.llm_base_url).scheme not in {"http", "https"}:
            raise ValueError("LLM_BASE_URL must be an http(s):// URL when SUMMARIZER_ENGINE=llm")
        if not self.llm_model.strip():
            raise ValueError("LLM_MODEL is required when SUMMARIZER_ENGINE=llm")
        return self
