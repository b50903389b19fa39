"""Liveness, readiness (both open) and the metrics (an admin key unless METRICS_PUBLIC)."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import SecurityScopes
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from services.gateway.auth import AUTH_RESPONSES, Credentials, authenticate
from services.gateway.deps import GatewayDep
from shared.api_keys import Scope

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is unreachable"}})
async def readyz(gateway: GatewayDep) -> JSONResponse:
    """Redis and the store answer."""
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(gateway.redis.ping(), timeout=2)
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.wait_for(run_in_threadpool(gateway.db.ping), timeout=2)
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not ready", "checks": checks},
    )


@router.get("/metrics", include_in_schema=False, responses=AUTH_RESPONSES)
@router.get("/metrics/", include_in_schema=False, responses=AUTH_RESPONSES)
async def metrics(request: Request, gateway: GatewayDep, credentials: Credentials) -> Response:
    """Prometheus' text format, every gateway process added up."""
    if not gateway.settings.metrics_public:
        await authenticate(SecurityScopes([Scope.ADMIN.value]), request, gateway, credentials)
    body = generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
