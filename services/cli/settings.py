"""Settings of the operator's commands (environment variables, upper-cased field names)."""

from typing import Self

from pydantic import Field, model_validator

from shared.settings import CommonSettings


class RunSettings(CommonSettings):
    """``summarization run``: where the gateway listens, and the ops port of each service
    (0: a free port, chosen at start and printed, so that two stacks on one host do not
    fight over them). ``OPS_PORT`` itself is one port per service: ``run`` starts three."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    ops_host: str = Field(default="127.0.0.1", description="Passed on to the services.")
    ops_port_dispatcher: int = Field(default=0, ge=0, le=65535)
    ops_port_worker: int = Field(default=0, ge=0, le=65535)
    ops_port_projector: int = Field(default=0, ge=0, le=65535)

    def ops_port_for(self, service: str) -> int:
        port: int = getattr(self, f"ops_port_{service}")
        return port


class FlowerSettings(CommonSettings):
    """``summarization flower``. Flower reads its own ``FLOWER_*`` variables; these are the
    ones this command sets for it."""

    flower_basic_auth: str = Field(
        default="",
        description="user:password[,user:password]; empty: a password is generated per run"
        " (refused in production).",
    )
    flower_address: str = Field(default="127.0.0.1", description="Flower's listen address.")
    flower_port: int = Field(default=5555, ge=1, le=65535)

    @model_validator(mode="after")
    def _check_credentials(self) -> Self:
        entries = [e for e in self.flower_basic_auth.split(",") if e]
        if any(":" not in e or not e.split(":", 1)[1] for e in entries):
            raise ValueError("FLOWER_BASIC_AUTH must be user:password, comma-separated")
        return self
