"""/healthz, /readyz and /metrics for the services that have no HTTP API of their own.

A small threaded HTTP server (standard library) on ``OPS_HOST``:``OPS_PORT``, loopback
only by default (its metrics and readiness details are for the operator, not the LAN):

* ``/healthz``: the process is up (200).
* ``/readyz``: every dependency check passes (200) or not (503); JSON with each check's
  result and whatever the service reports about itself (e.g. a consumer group it had to
  re-create after Redis lost its data).
* ``/metrics``: Prometheus text format from the default registry (or the one given);
  an admin key is needed when the server is exposed (``shared.ops_auth``).
"""

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from shared.logging import get_logger
from shared.ops_auth import Authorize, metrics_authorization
from shared.settings import OpsSettings

log = get_logger(__name__)

Check = Callable[[], object]


class OpsServer:
    def __init__(
        self,
        service: str,
        port: int,
        checks: Mapping[str, Check],
        info: Callable[[], Mapping[str, Any]] | None = None,
        host: str = "127.0.0.1",
        registry: CollectorRegistry = REGISTRY,
        metrics_auth: Authorize | None = None,
    ) -> None:
        self.service = service
        self.metrics_auth = metrics_auth
        self.registry = registry
        self.checks = checks
        self.info = info or dict
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        results: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
        ready = all(v == "ok" for v in results.values())
        body = {"status": "ready" if ready else "not ready", "checks": results, **self.info()}
        return ready, body

    def start(self) -> "OpsServer":
        threading.Thread(target=self._server.serve_forever, name="ops-http", daemon=True).start()
        log.info("ops_server_started", host=self._server.server_address[0], port=self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        ops = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    self._send(200, orjson.dumps({"status": "ok", "service": ops.service}))
                elif path == "/readyz":
                    ready, body = ops.readiness()
                    self._send(200 if ready else 503, orjson.dumps(body))
                elif path == "/metrics":
                    if ops.metrics_auth is None or ops.metrics_auth(
                        self.headers.get("Authorization")
                    ):
                        self._send(200, generate_latest(ops.registry), CONTENT_TYPE_LATEST)
                    else:
                        self._send(
                            401,
                            b'{"detail": "an admin API key is needed (Authorization: Bearer ...)"}',
                            headers={"WWW-Authenticate": "Bearer"},
                        )
                else:
                    self._send(404, b'{"detail": "not found"}')

            def _send(
                self,
                code: int,
                body: bytes,
                ctype: str = "application/json",
                headers: Mapping[str, str] | None = None,
            ) -> None:
                self.send_response(code)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def ops_server(
    service: str,
    settings: OpsSettings,
    checks: Mapping[str, Check],
    info: Callable[[], Mapping[str, Any]] | None = None,
    registry: CollectorRegistry = REGISTRY,
) -> OpsServer:
    """The service's ops server where its settings put it, ``/metrics`` guarded as they
    say (``OPS_HOST``, ``OPS_PORT``, ``OPS_METRICS_PUBLIC``)."""
    auth = metrics_authorization(
        settings.ops_host,
        settings.ops_metrics_public,
        settings.database_url,
        settings.api_key_cache_seconds,
    )
    return OpsServer(
        service,
        settings.ops_port,
        checks,
        info,
        host=settings.ops_host,
        registry=registry,
        metrics_auth=auth,
    )
