"""``summarization-gateway`` / ``python -m services.gateway``: serve the HTTP API.

``GATEWAY_WORKERS`` > 1 runs that many uvicorn worker processes on the one port; their
Prometheus metrics are then kept in ``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary
directory unless set) and ``/metrics`` adds them up.
"""

import uvicorn

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.logging import configure_logging
from shared.metrics_multiprocess import remove_metrics_dir, use_metrics_dir


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
    metrics_dir, made = use_metrics_dir("gateway")
    try:
        uvicorn.run(
            "services.gateway.app:worker_app",
            factory=True,
            workers=settings.gateway_workers,
            **options,  # type: ignore[arg-type]
        )
    finally:
        remove_metrics_dir(metrics_dir, made)


if __name__ == "__main__":
    main()
