"""The gateway's FastAPI application and its lifespan (the composition root)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from faststream.redis import RedisBroker
from faststream.redis.opentelemetry import RedisTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from services.gateway.deps import Gateway
from services.gateway.idempotency import IdempotencyKeys
from services.gateway.keys import KeyCache, check_key_store
from services.gateway.limits import Backlog, BodySizeLimit, CandidateSlots, HeaderLimits
from services.gateway.metrics import RequestMetrics
from services.gateway.ratelimit import TokenBuckets
from services.gateway.routes import docs, health, sessions, status_events, summarization
from services.gateway.settings import GatewaySettings
from services.gateway.status_feed import StatusFeed
from services.gateway.undispatched import Undispatched
from services.gateway.validation_errors import EXCEPTION_HANDLERS
from shared.adapters.faststream import JSONMessageFormat
from shared.heap import freeze_startup_heap
from shared.logging import configure_logging
from shared.metrics_multiprocess import metrics_registry
from shared.redis_client import async_redis, broker_security
from shared.store import Database
from shared.task_state import AsyncStateWriter, StateConfig
from shared.telemetry import configure_tracing


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    provider = configure_tracing("gateway")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        db.create_schema()
        check_key_store(db, production=settings.environment == "production")
        redis = async_redis(settings.redis_url, settings.redis_tls)
        broker = RedisBroker(
            settings.redis_url,
            security=broker_security(settings.redis_url, settings.redis_tls),
            message_format=JSONMessageFormat,
            logger=logging.getLogger("faststream"),
            middlewares=[RedisTelemetryMiddleware(tracer_provider=provider)],
        )
        await broker.connect()
        app.state.gateway = Gateway(
            settings=settings,
            redis=redis,
            broker=broker,
            db=db,
            idempotency=IdempotencyKeys(
                redis, settings.key_prefix, settings.idempotency_ttl_seconds
            ),
            backlog=Backlog(redis, settings.stream_requested, settings.consumer_group),
            state=AsyncStateWriter(redis, StateConfig.of(settings)),
            undispatched=Undispatched(
                redis, settings.stream_requested, settings.consumer_group, settings.max_backlog
            ),
            keys=KeyCache(
                db,
                settings.api_key_cache_seconds,
                settings.rate_limit_per_second,
                settings.rate_limit_burst,
            ),
            buckets=TokenBuckets(redis, settings.key_prefix),
            slots=CandidateSlots(
                redis,
                settings.key_prefix,
                settings.max_active_per_candidate,
                settings.status_ttl_seconds,
            ),
            feed=StatusFeed(redis, settings.stream_status_changes, settings.sse_max_streams),
        )
        freeze_startup_heap()
        try:
            yield
        finally:
            await app.state.gateway.feed.close()
            await broker.stop()
            await redis.aclose()
            db.dispose()

    options: dict[str, Any] = {
        "title": "Summarization gateway",
        "version": "1.0.0",
        "description": "Queue summaries of interview sessions and candidate profiles.",
        "exception_handlers": EXCEPTION_HANDLERS,
        "lifespan": lifespan,
    }
    if settings.api_docs == "public":
        # /docs and /redoc load Swagger UI and ReDoc from the gateway itself (assets
        # shipped in the fastapi-offline wheel), not from a CDN: internal networks often
        # have none. No online spec validator either (its badge is fetched from swagger.io)
        app = FastAPIOffline(swagger_ui_parameters={"validatorUrl": None}, **options)
    else:  # no pages; with API_DOCS=admin, routes.docs serves the document behind a key
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **options)
    app.state.metrics_registry = metrics_registry()
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics)
    # outermost: headers are judged before any other middleware reads them
    app.add_middleware(
        HeaderLimits, max_count=settings.max_header_count, max_bytes=settings.max_header_bytes
    )
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls="healthz,readyz,metrics",
        # no internal span per ASGI message ("... http send"): the request's server span
        # says all an SRE needs, and those spans were a tenth of a status read's CPU
        exclude_spans=["receive", "send"],
    )
    app.include_router(summarization.router)
    app.include_router(status_events.router)
    app.include_router(sessions.router)
    app.include_router(health.router)
    if settings.api_docs == "admin":
        app.include_router(docs.router)
    return app


def worker_app() -> FastAPI:
    """The app of one of several worker processes (``uvicorn --factory``)."""
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_format)
    return create_app(settings)
