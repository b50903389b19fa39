"""Stream retention: trim by age, never trimming entries a consumer group still owes."""

import time
from importlib import resources

TRIM_LUA = resources.files("shared").joinpath("lua/trim.lua").read_text()


def age_cutoff_id(retention_seconds: float, now: float | None = None) -> str:
    """The stream id of the oldest entry to keep when keeping ``retention_seconds``."""
    return f"{int(((now or time.time()) - retention_seconds) * 1000)}-0"
