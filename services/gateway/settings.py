"""Gateway settings (environment variables, upper-cased field names)."""

from pydantic import Field

from shared.settings import CommonSettings


class GatewaySettings(CommonSettings):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
