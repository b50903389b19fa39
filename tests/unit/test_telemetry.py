"""OpenTelemetry's environment variables, as the specification says they behave."""

import threading
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpExporter,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from shared.redis_server import free_port
from shared.settings import CommonSettings
from shared.telemetry import build_provider, service_resource, span_exporter

OTEL = (
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SDK_DISABLED",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL:
        monkeypatch.delenv(name, raising=False)


def name_of(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return str(service_resource("worker").attributes[SERVICE_NAME])


def test_service_name_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert name_of(monkeypatch) == "summarization-worker"
    attributes = "service.name=billing-summaries,deployment.environment=prod"
    assert name_of(monkeypatch, OTEL_RESOURCE_ATTRIBUTES=attributes) == "billing-summaries"
    assert name_of(monkeypatch, OTEL_SERVICE_NAME="summaries-eu") == "summaries-eu"


def test_other_resource_attributes_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=ml")
    attributes = service_resource("gateway").attributes
    assert attributes["deployment.environment"] == "prod"
    assert attributes["team"] == "ml"
    assert attributes[SERVICE_NAME] == "summarization-gateway"


def test_the_protocol_picks_the_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(span_exporter(), HttpExporter)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert isinstance(span_exporter(), GrpcExporter)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
    assert isinstance(span_exporter(), HttpExporter), "the traces variable wins"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"):
        span_exporter()


def test_an_unknown_protocol_stops_every_service_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    with pytest.raises(ValidationError, match="OTEL_EXPORTER_OTLP_PROTOCOL='http/json'"):
        CommonSettings()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    assert CommonSettings().otel_exporter_otlp_protocol == "grpc"


def test_sdk_disabled_is_the_no_op_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
    assert isinstance(build_provider("gateway"), TracerProvider)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert isinstance(build_provider("gateway"), trace.NoOpTracerProvider)


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self.received = threading.Event()

    def Export(  # noqa: N802  (the gRPC service's method name)
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: object
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.requests.append(request)
        self.received.set()
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture
def grpc_collector() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)  # type: ignore[no-untyped-call]
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    yield collector, port
    server.stop(grace=None)


def test_spans_reach_a_grpc_collector(
    monkeypatch: pytest.MonkeyPatch, grpc_collector: tuple[Collector, int]
) -> None:
    collector, port = grpc_collector
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "summaries-grpc")
    provider = build_provider("dispatcher")
    assert isinstance(provider, TracerProvider)
    with provider.get_tracer("t").start_as_current_span("over grpc"):
        pass
    provider.force_flush()
    assert collector.received.wait(10)
    [request] = collector.requests
    [resource_spans] = request.resource_spans
    names = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert names["service.name"] == "summaries-grpc"
    assert [s.name for s in resource_spans.scope_spans[0].spans] == ["over grpc"]
    provider.shutdown()
