"""The gateway's HTTP metrics: requests by route and status, and their latency."""

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter(
    "summarization_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
LATENCY = Histogram(
    "summarization_http_request_duration_seconds",
    "HTTP request latency (for the summarize routes: the accept latency)",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class RequestMetrics:
    """ASGI middleware labelling by the route template (not the raw path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            if not template.startswith("/metrics"):
                method = scope["method"]
                REQUESTS.labels(method, template, str(status)).inc()
                LATENCY.labels(method, template).observe(time.perf_counter() - started)
