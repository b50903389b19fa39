"""Gateway settings (environment variables, upper-cased field names)."""

from typing import Literal, Self

from pydantic import Field, model_validator

from shared.settings import CommonSettings, default_database_url


class GatewaySettings(CommonSettings):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    gateway_workers: int = Field(
        default=1, ge=1, le=64, description="uvicorn worker processes sharing the port."
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Larger bodies: 413.")
    max_backlog: int = Field(
        default=10_000, ge=1, description="Unprocessed requests before new ones get 503."
    )
    retry_after_seconds: int = Field(default=5, ge=1, description="Retry-After on 503.")
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    max_header_count: int = Field(default=100, ge=10, description="More headers: 431.")
    max_header_bytes: int = Field(
        default=16_384, ge=1024, description="Headers (names and values) over this: 431."
    )
    max_active_per_candidate: int = Field(
        default=10, ge=0, description="Unfinished tasks per candidate before 429; 0 = no limit."
    )

    rate_limit_per_second: float = Field(
        default=50.0, ge=0, description="Default refill of a key's bucket; 0 = no limit."
    )
    rate_limit_burst: int = Field(default=100, ge=1, description="Default size of a key's bucket.")
    metrics_public: bool = Field(default=False, description="/metrics without an admin key.")
    api_docs: Literal["public", "admin", "off"] = Field(
        default="public", description="/docs, /redoc, /openapi.json: open, admin key, or none."
    )
    sse_keepalive_seconds: float = Field(
        default=15.0, gt=0, le=300, description="Keep-alive comment on an idle event stream."
    )
    sse_max_streams: int = Field(
        default=1000, ge=1, description="Open event streams per gateway process; more: 503."
    )
    sse_max_seconds: float = Field(
        default=3600.0, gt=0, description="An event stream ends after this; clients resume."
    )
    trust_caller_header: bool = Field(
        default=False,
        description="Requests without a key act as the tenant named in X-Caller-Id.",
    )

    @model_validator(mode="after")
    def _check_production(self) -> Self:
        if self.environment != "production":
            return self
        if self.api_docs == "public":
            raise ValueError(
                "API_DOCS=public shows the API's docs to anyone; in production set"
                " API_DOCS=admin or API_DOCS=off"
            )
        if self.database_url == default_database_url(self.redis_url):
            raise ValueError(
                "DATABASE_URL is the default SQLite file: it holds the API keys, and"
                " production needs a key store of its own (PostgreSQL)"
            )
        return self
