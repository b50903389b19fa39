"""Settings every service shares. Each service subclasses ``CommonSettings`` with its own.

All settings come from environment variables (names are the field names upper-cased);
a wrong value stops the service at start-up with an error naming the variable.
"""

import hashlib
import os
import re
from functools import cached_property
from typing import Literal, Self
from urllib.parse import parse_qs, urlsplit, urlunsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.streams import Streams
from shared.redis_tls import RedisTls, uses_tls

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
OTLP_PROTOCOLS = ("http/protobuf", "grpc")


def redis_db_url(url: str, db: int) -> str:
    """``url`` with its database index replaced by ``db``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def redis_db_index(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


REDIS_URL_SETTINGS = ("redis_url", "celery_broker_url", "celery_result_backend")


def _has_password(password: str | None, query: str) -> bool:
    return bool(password) or bool(parse_qs(query).get("password"))


def default_database_url(redis_url: str) -> str:
    """SQLite under ``var/``, one file per Redis server and database index, so that stacks
    started from one checkout with different ``REDIS_URL`` never share a store:
    ``var/summarization-<host>-<port>-<db>.db`` (no credentials in the name), or
    ``var/summarization-unix-<hash>.db`` for a socket."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        digest = hashlib.sha256(f"{parts.path}?{parts.query}".encode()).hexdigest()[:10]
        tag = f"unix-{digest}"
    else:
        host = parts.hostname or "localhost"
        tag = f"{host}-{parts.port or 6379}-{redis_db_index(redis_url)}"
    return f"sqlite:///var/summarization-{re.sub(r'[^A-Za-z0-9.-]', '_', tag)}.db"


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    redis_url: str = Field(
        default=DEFAULT_REDIS_URL, description="Streams and the status view live here."
    )
    celery_broker_url: str = Field(default="", description="Defaults to REDIS_URL.")
    celery_result_backend: str = Field(
        default="", description="Defaults to REDIS_URL with the next database index."
    )
    celery_key_prefix: str = Field(
        default="", description="Prefix for every Celery key and channel (isolation)."
    )
    redis_tls_verify: bool = Field(
        default=True, description="rediss://: check the server's certificate and host name."
    )
    redis_tls_ca_file: str = Field(default="", description="rediss://: the CAs to trust.")
    redis_tls_cert_file: str = Field(default="", description="rediss://: client certificate.")
    redis_tls_key_file: str = Field(default="", description="rediss://: its private key.")
    database_url: str = Field(
        default="", description="Defaults to SQLite under var/, one file per REDIS_URL."
    )
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, le=300, description="A key lookup is reused this long (revocation lag)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    stream_requested: str = Streams.REQUESTED
    stream_requested_dlq: str = Streams.REQUESTED_DLQ
    stream_completed: str = Streams.COMPLETED
    stream_failed: str = Streams.FAILED
    stream_tasks_dlq: str = Streams.TASKS_DLQ
    stream_lifecycle: str = Streams.LIFECYCLE
    stream_status_changes: str = Streams.STATUS_CHANGES
    consumer_group: str = Field(
        default="summarization-dispatcher", description="The dispatchers' consumer group."
    )
    stream_maxlen: int = Field(default=100_000, ge=1000, description="Approximate cap per stream.")
    stream_retention_seconds: int = Field(
        default=24 * 3600, ge=60, description="Age after which consumed entries are trimmed."
    )

    key_prefix: str = Field(
        default="summarization:", description="Prefix of the status view and other keys."
    )
    status_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)

    queue_session: str = "long_running"
    queue_profile: str = "quick"

    task_soft_time_limit: int = Field(default=25 * 60, ge=1, description="Seconds.")
    task_time_limit: int = Field(default=30 * 60, ge=1, description="Hard limit, seconds.")
    broker_visibility_timeout: int = Field(
        default=40 * 60,
        ge=1,
        description="Seconds; must exceed TASK_TIME_LIMIT (and, on workers, RETRY_BACKOFF_MAX"
        " + TASK_TIME_LIMIT).",
    )

    otel_exporter_otlp_protocol: str = Field(
        default="", description="OTLP transport of the exports: http/protobuf or grpc."
    )
    otel_exporter_otlp_traces_protocol: str = Field(
        default="", description="The same for traces alone (wins over the general one)."
    )

    @model_validator(mode="before")
    @classmethod
    def _derive_urls(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        lowered = {k.lower(): v for k, v in data.items()}
        redis_url = lowered.get("redis_url") or DEFAULT_REDIS_URL
        if not lowered.get("celery_broker_url"):
            data["celery_broker_url"] = redis_url
        if not lowered.get("celery_result_backend"):
            data["celery_result_backend"] = redis_db_url(redis_url, redis_db_index(redis_url) + 1)
        if not lowered.get("database_url"):
            data["database_url"] = default_database_url(redis_url)
        return data

    @model_validator(mode="after")
    def _check_urls(self) -> Self:
        for name in REDIS_URL_SETTINGS:
            url = urlsplit(getattr(self, name))
            if url.scheme not in {"redis", "rediss", "unix"}:
                raise ValueError(
                    f"{name.upper()} must be a redis:// URL, got scheme {url.scheme!r}"
                )
            if any(key.startswith("ssl") for key in parse_qs(url.query)):
                raise ValueError(
                    f"{name.upper()}: TLS options go in the REDIS_TLS_* settings, not in the"
                    " URL (each Redis client reads URL options its own way)"
                )
            if self.environment == "production" and not _has_password(url.password, url.query):
                raise ValueError(
                    f"{name.upper()} has no password: production Redis needs credentials"
                    " (redis://user:password@host/db, an ACL user per component)"
                )
        return self

    @model_validator(mode="after")
    def _check_tls(self) -> Self:
        tls = {"redis_tls_ca_file", "redis_tls_cert_file", "redis_tls_key_file"}
        for name in sorted(tls):
            path = getattr(self, name)
            if path and not os.access(path, os.R_OK):
                raise ValueError(f"{name.upper()}: cannot read {path!r}")
        if bool(self.redis_tls_cert_file) != bool(self.redis_tls_key_file):
            raise ValueError("REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together")
        given = sorted(n.upper() for n in tls if getattr(self, n))
        if not self.redis_tls_verify:
            given.append("REDIS_TLS_VERIFY")
        if given and not any(uses_tls(getattr(self, n)) for n in REDIS_URL_SETTINGS):
            raise ValueError(
                f"{', '.join(given)} set, but no Redis URL is rediss://: nothing would use TLS"
            )
        if self.environment == "production" and not self.redis_tls_verify:
            raise ValueError(
                "REDIS_TLS_VERIFY=false in production: give the server's CA in"
                " REDIS_TLS_CA_FILE instead"
            )
        return self

    @cached_property
    def redis_tls(self) -> RedisTls:
        return RedisTls(
            verify=self.redis_tls_verify,
            ca_file=self.redis_tls_ca_file,
            cert_file=self.redis_tls_cert_file,
            key_file=self.redis_tls_key_file,
        )

    @model_validator(mode="after")
    def _check_otlp_protocol(self) -> Self:
        # read by shared.telemetry (the SDK's own variables); checked here so that a typo
        # stops every service at start-up, not each worker pool process at its fork
        for name in ("otel_exporter_otlp_protocol", "otel_exporter_otlp_traces_protocol"):
            value = getattr(self, name).strip()
            if value not in ("", *OTLP_PROTOCOLS):
                raise ValueError(f"{name.upper()}={value!r} is not one of {OTLP_PROTOCOLS}")
        return self

    @model_validator(mode="after")
    def _check_time_limits(self) -> Self:
        visibility = self.broker_visibility_timeout
        for name in ("task_soft_time_limit", "task_time_limit"):
            limit = getattr(self, name)
            if limit >= visibility:
                raise ValueError(
                    f"{name.upper()} ({limit} s) must stay below BROKER_VISIBILITY_TIMEOUT"
                    f" ({visibility} s): Redis hands a task still unacknowledged after that"
                    " to another worker, which runs it a second time"
                )
        if self.task_soft_time_limit >= self.task_time_limit:
            raise ValueError("TASK_SOFT_TIME_LIMIT must be below TASK_TIME_LIMIT")
        return self

    @cached_property
    def queues(self) -> dict[str, str]:
        """Celery queue per request kind."""
        return {"session": self.queue_session, "profile": self.queue_profile}


class OpsSettings(CommonSettings):
    """A service without an HTTP API of its own: it serves /healthz, /readyz and /metrics
    on ``OPS_HOST``:``OPS_PORT`` (each service sets its default port)."""

    ops_host: str = Field(
        default="127.0.0.1",
        description="Address of the ops server; 0.0.0.0 to be scraped from other hosts.",
    )
    ops_port: int = Field(
        default=0, ge=0, le=65535, description="/healthz /readyz /metrics; 0 = any free port"
    )
    ops_metrics_public: bool = Field(
        default=False,
        description="/metrics without an admin key when OPS_HOST is not a loopback address.",
    )
