"""OpenTelemetry tracing, configured by the standard ``OTEL_*`` environment variables.

* ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set: spans
  are exported over OTLP/HTTP in batches. Unset: nothing is exported, and nothing is
  logged about it; spans are then not recorded (no cost), but still have ids, so trace
  ids still reach the logs and travel in ``traceparent`` (with the sampled flag off).
* ``OTEL_SERVICE_NAME`` overrides the service name; ``OTEL_TRACES_SAMPLER`` /
  ``OTEL_TRACES_SAMPLER_ARG`` pick the sampler (the SDK reads them itself).

W3C ``traceparent`` is the propagation format everywhere: stream-entry headers, Celery
task headers, the status record and the completion event's envelope.
"""

import functools
import os
from collections.abc import Mapping

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

TRACER_NAME = "summarization"


def configure_tracing(service: str, processor: SpanProcessor | None = None) -> TracerProvider:
    """Install the process's tracer provider (once; later calls return the first)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    name = os.environ.get("OTEL_SERVICE_NAME") or f"summarization-{service}"
    resource = Resource.create({"service.name": name})
    exporting = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    if processor is None and not exporting:
        # Nothing would export them: spans are not recorded (a recorded span costs
        # tens of microseconds), but they still get ids, which reach the logs and the
        # traceparent headers.
        provider = TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    else:
        provider = TracerProvider(resource=resource)
    if processor is not None:
        provider.add_span_processor(processor)
    elif exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


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
