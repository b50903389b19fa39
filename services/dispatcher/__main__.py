"""``summarization-dispatcher`` / ``python -m services.dispatcher``."""

import asyncio
import contextlib
import signal

import uvloop

from services.dispatcher.app import DispatcherService
from services.dispatcher.settings import DispatcherSettings
from shared.heap import freeze_startup_heap
from shared.logging import configure_logging


async def serve(settings: DispatcherSettings) -> None:
    service = DispatcherService(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await service.start()
    ops = service.ops().start()
    loops = [
        asyncio.create_task(service.watch_group()),
        asyncio.create_task(service.reclaimer.run()),
        asyncio.create_task(service.redispatcher.run()),
    ]
    freeze_startup_heap()
    await stop.wait()
    for loop_task in loops:
        loop_task.cancel()
    for loop_task in loops:
        with contextlib.suppress(asyncio.CancelledError):
            await loop_task
    await service.stop()
    ops.stop()


def main() -> None:
    settings = DispatcherSettings()
    configure_logging("dispatcher", settings.log_level, settings.log_format)
    uvloop.run(serve(settings))


if __name__ == "__main__":
    main()
