"""``summarization-gateway`` / ``python -m services.gateway``: serve the HTTP API."""

import uvicorn

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.logging import configure_logging


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=True,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
