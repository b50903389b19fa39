"""``summarization-gateway`` / ``python -m services.gateway``: serve the HTTP API.

``GATEWAY_WORKERS`` > 1 runs that many uvicorn worker processes on the one port; their
Prometheus metrics are then kept in ``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary
directory unless set) and ``/metrics`` adds them up.
"""

import os
import shutil
import tempfile

import uvicorn

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.logging import configure_logging


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_format)
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": True,
        "proxy_headers": True,
    }
    if settings.gateway_workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    made = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
        prefix="gateway-metrics-"
    )
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "services.gateway.app:worker_app",
            factory=True,
            workers=settings.gateway_workers,
            **options,  # type: ignore[arg-type]
        )
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
