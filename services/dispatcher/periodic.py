"""The dispatcher's background passes: one loop shape for all of them."""

import asyncio
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger(__name__)


async def every(seconds: float, step: Callable[[], Awaitable[object]], failure: str) -> None:
    """Run ``step`` every ``seconds``, forever; a failed pass is logged as ``failure``
    and the next one runs on time."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await step()
        except Exception as exc:
            log.warning(failure, error=str(exc))
