"""OpenTelemetry tracing, configured by the standard ``OTEL_*`` environment variables.

* ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set: spans
  are exported over OTLP in batches, by ``OTEL_EXPORTER_OTLP_PROTOCOL`` (or
  ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL``): ``http/protobuf`` (default) or ``grpc``. Unset:
  nothing is exported, and nothing is logged about it; spans are then not recorded (no
  cost), but still have ids, so trace ids still reach the logs and travel in
  ``traceparent`` (with the sampled flag off).
* The service name, as the specification orders it: ``OTEL_SERVICE_NAME``, else
  ``service.name`` in ``OTEL_RESOURCE_ATTRIBUTES``, else ``summarization-<service>``; the
  other attributes of ``OTEL_RESOURCE_ATTRIBUTES`` are kept.
* ``OTEL_SDK_DISABLED=true``: the API's no-op provider; no span, no id, nothing exported.
* ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` pick the sampler, and the
  exporters read their own settings (headers, timeout, compression, certificates): the
  SDK reads them itself.

W3C ``traceparent`` is the propagation format everywhere: stream-entry headers, Celery
task headers, the status record and the completion event's envelope.
"""

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from shared.settings import OTLP_PROTOCOLS

TRACER_NAME = "summarization"

_installed: trace.TracerProvider | None = None


def configure_tracing(service: str, processor: SpanProcessor | None = None) -> trace.TracerProvider:
    """Install the process's tracer provider (once; later calls return the first)."""
    global _installed
    if _installed is not None:
        return _installed
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        _installed = current
        return current
    provider = build_provider(service, processor)
    trace.set_tracer_provider(provider)
    _installed = provider
    return provider


def build_provider(service: str, processor: SpanProcessor | None = None) -> trace.TracerProvider:
    """The tracer provider the environment asks for (not installed)."""
    if _flag("OTEL_SDK_DISABLED"):
        return trace.NoOpTracerProvider()
    resource = service_resource(service)
    exporting = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    if processor is None and not exporting:
        # Nothing would export them: spans are not recorded (a recorded span costs
        # tens of microseconds), but they still get ids, which reach the logs and the
        # traceparent headers.
        return TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor or BatchSpanProcessor(span_exporter()))
    return provider


def service_resource(service: str) -> Resource:
    """``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME`` (which the SDK reads, the
    latter first), and ``summarization-<service>`` only when neither names the service."""
    detected = Resource.create()
    name = str(detected.attributes.get(SERVICE_NAME, ""))
    if name and not name.startswith("unknown_service"):
        return detected
    return detected.merge(Resource({SERVICE_NAME: f"summarization-{service}"}))


def span_exporter() -> SpanExporter:
    """The OTLP span exporter for ``OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL``."""
    variable = (
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
        if os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        else "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    protocol = os.environ.get(variable, "").strip() or "http/protobuf"
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter()
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpExporter,
        )

        return HttpExporter()
    raise ValueError(f"{variable}={protocol!r} is not one of {OTLP_PROTOCOLS}")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() == "true"


@functools.cache
def tracer() -> trace.Tracer:
    """The project's tracer. Made once (``get_tracer`` builds a new one per call, a cost
    seen in the projector's profile); made before ``configure_tracing``, it is the API's
    proxy, which follows the provider installed later."""
    return trace.get_tracer(TRACER_NAME)


def current_traceparent(ctx: context.Context | None = None) -> dict[str, str]:
    """The current context (or ``ctx``) as W3C headers (``traceparent``, maybe
    ``tracestate``)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=ctx)
    return carrier


def context_from(headers: Mapping[str, str]) -> context.Context:
    """The context a ``traceparent`` carries (the current one when there is none)."""
    return propagate.extract(dict(headers))


def trace_ids() -> tuple[str, str]:
    """(trace_id, span_id) of the current span as hex, or empty strings."""
    span = trace.get_current_span().get_span_context()
    if not span.is_valid:
        return "", ""
    return format(span.trace_id, "032x"), format(span.span_id, "016x")


@contextlib.contextmanager
def use_context(ctx: context.Context) -> Iterator[None]:
    """``ctx`` current for the block: what is logged there carries its trace and span ids
    (for work done outside the span's own block, e.g. one entry of a batch)."""
    token = context.attach(ctx)
    try:
        yield
    finally:
        context.detach(token)
