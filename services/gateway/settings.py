"""Gateway settings (environment variables, upper-cased field names)."""

from pydantic import Field

from shared.settings import CommonSettings


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
