"""Projector settings (environment variables, upper-cased field names)."""

from pydantic import Field

from shared.settings import CommonSettings


class ProjectorSettings(CommonSettings):
    reconnect_max_delay: float = Field(default=5.0, gt=0, description="Seconds.")
