"""The LLM engine end to end against a local chat-completions server (stdlib http.server).

The server speaks the protocol (POST /v1/chat/completions with model and messages); each
test scripts its replies: good, slow, failing (429, 5xx, 4xx), malformed, and a default
that answers map, reduce and profile prompts so map-reduce can be counted.
"""

import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from contracts.types import Mode, Role
from services.worker.settings import WorkerSettings
from services.worker.summarizer import SessionSource, SessionWithSummary, Turn
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.llm import (
    LLMAnswerInvalid,
    LLMRequestRejected,
    LLMSummarizer,
    LLMUnavailable,
    asking,
    client,
    engine,
    session,
)
from services.worker.summarizer.stats import source_stats, speaker_stats
from shared.errors import NothingToSummarize, PermanentTaskError
from shared.redis_server import free_port

KEY = "sk-test-0123456789abcdefSECRET"
INTERVIEWER = "Ivan asked about the Zanzibar billing cluster he has run for nine years."
Reply = tuple[int, Any, dict[str, str]]
"""(status, body: dict as JSON or str as is, extra headers)."""


def chat(content: str) -> Reply:
    """A 200 chat-completions reply whose assistant message is ``content``."""
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return 200, body, {}


def answer(request: dict[str, Any], points: int = 1) -> Reply:
    """A plausible JSON answer to whichever prompt ``request`` holds."""
    prompt = request["messages"][1]["content"]
    if "<sessions>" in prompt or "<profiles>" in prompt:
        return chat(
            json.dumps(
                {
                    "overview": ["Casey is a backend engineer who moved billing to Kafka."],
                    "recurring_topics": [
                        {"topic": "kafka", "sessions": 99},
                        {"topic": "Kafka", "sessions": 1},
                        {"topic": "hiring", "sessions": 1},
                    ],
                    "highlights": ["Led the Kafka migration in nine months."],
                }
            )
        )
    stage = "map" if "<transcript>" in prompt else "reduce"
    long_point = "a detailed point about consumers, retries, idempotency and lag " * 3
    return chat(
        json.dumps(
            {
                "overview": [f"Casey described the {stage} part.", "It took nine months."],
                "key_points": [f"{long_point} {i}" for i in range(points)],
                "topics": ["kafka", "billing"],
            }
        )
    )


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class ChatServer:
    """Replies with ``script`` in turn, then with ``default``; records every request."""

    url: str = ""
    script: list[Callable[[dict[str, Any]], Reply]] = field(default_factory=list)
    default: Callable[[dict[str, Any]], Reply] = answer
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, path: str, headers: dict[str, str], body: Any) -> Reply:
        with self.lock:
            self.requests.append(Recorded(path, headers, body))
            step = self.script.pop(0) if self.script else self.default
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}"}}, {}
        if not isinstance(body, dict) or not body.get("model") or not body.get("messages"):
            return 400, {"error": {"message": "model and messages are required"}}, {}
        return step(body)

    def then(self, *steps: Callable[[dict[str, Any]], Reply]) -> "ChatServer":
        self.script.extend(steps)
        return self

    def slow(self, body: dict[str, Any]) -> Reply:
        self.release.wait(10)
        return answer(body)

    @property
    def prompts(self) -> list[str]:
        return [r.body["messages"][1]["content"] for r in self.requests]


@pytest.fixture
def server() -> Iterator[ChatServer]:
    chat_server = ChatServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            status, content, headers = chat_server.reply(self.path, dict(self.headers), body)
            payload = (content if isinstance(content, str) else json.dumps(content)).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    chat_server.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield chat_server
    chat_server.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    """Log events of the engine's modules (fresh loggers, so none is cached elsewhere)."""
    with capture_logs() as captured:
        for module in (client, asking, engine, session):
            monkeypatch.setattr(module, "log", structlog.get_logger(module.__name__))
        yield captured


def make_engine(url: str, **values: Any) -> LLMSummarizer:
    settings: dict[str, Any] = {
        "summarizer_engine": "llm",
        "llm_base_url": url,
        "llm_model": "test-model",
        "llm_api_key": KEY,
        "llm_timeout_seconds": 5.0,
        **values,
    }
    return LLMSummarizer.from_settings(WorkerSettings(**settings))


def make_source(mode: Mode = Mode.INTERVIEW, answers: int = 1, words: int = 12) -> SessionSource:
    turns = [Turn(Role.INTERVIEWER, "Ivan", INTERVIEWER + " Tell me about your work?")]
    for i in range(answers):
        filler = " ".join(["we tuned consumers and retries for lag"] * (words // 7))
        turns.append(Turn(Role.CANDIDATE, "Casey", f"Marker T{i:03d}: I moved billing. {filler}."))
    return SessionSource("s1", "c1", mode, turns, datetime(2024, 3, 1, tzinfo=UTC))


def request_tokens(request: Recorded) -> int:
    """Tokens of a request by both rules of thumb, the larger, plus the answer asked for."""
    texts = [m["content"] for m in request.body["messages"]]
    chars, words = sum(map(len, texts)), sum(len(t.split()) for t in texts)
    answer_tokens: int = request.body["max_tokens"]
    return int(max(chars / 4, words * 1.3)) + 4 * len(texts) + answer_tokens


def test_a_good_answer_becomes_the_session_summary(server: ChatServer) -> None:
    source = make_source()
    summary = make_engine(server.url).summarize_session(source)
    assert summary.overview == ["Casey described the map part.", "It took nine months."]
    assert summary.topics == ["kafka", "billing"]
    assert (summary.engine, summary.engine_version) == ("llm", "1.0+test-model")
    assert summary.speakers == speaker_stats(source), "speakers are counted locally"
    assert summary.source == source_stats(source)
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "test-model"
    assert request.body["max_tokens"] == 1024
    assert request.body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    assert "Ivan (interviewer): " in server.prompts[0], "INTERVIEW sends the questions too"


def test_self_report_sends_only_the_candidate_turns(server: ChatServer) -> None:
    make_engine(server.url).summarize_session(make_source(Mode.SELF_REPORT, answers=3))
    assert "Casey (candidate): Marker T002" in server.prompts[0]
    assert all("Zanzibar" not in r.body["messages"][1]["content"] for r in server.requests)


def test_no_candidate_statement_fails_before_any_call(server: ChatServer) -> None:
    only_questions = make_source(Mode.SELF_REPORT, answers=0)
    with pytest.raises(NothingToSummarize, match="no candidate statements to summarize"):
        make_engine(server.url).summarize_session(only_questions)
    assert server.requests == []


def test_long_transcripts_are_mapped_then_reduced_within_the_budget(server: ChatServer) -> None:
    source = make_source(Mode.SELF_REPORT, answers=60, words=60)
    summary = make_engine(
        server.url, llm_context_tokens=2048, llm_max_output_tokens=256
    ).summarize_session(source)
    maps = [p for p in server.prompts if "<transcript>" in p]
    assert len(maps) >= 3, "several chunk calls"
    assert len(server.requests) == len(maps) + 1, "then exactly one combining call"
    assert "<summaries>" in server.prompts[-1]
    assert "Part 1 of" in server.prompts[-1]
    assert summary.overview[0] == "Casey described the reduce part."
    assert all(request_tokens(r) <= 2048 for r in server.requests)
    assert all(r.body["max_tokens"] == 256 for r in server.requests)
    sent = "".join(maps)
    assert all(sent.count(f"Marker T{i:03d}") == 1 for i in range(60)), "each turn once"


def test_big_partial_summaries_are_combined_level_by_level(server: ChatServer) -> None:
    server.default = lambda body: answer(body, points=8)
    source = make_source(Mode.SELF_REPORT, answers=60, words=60)
    make_engine(server.url, llm_context_tokens=2048, llm_max_output_tokens=256).summarize_session(
        source
    )
    reduces = [p for p in server.prompts if "<summaries>" in p]
    assert len(reduces) >= 2
    assert "<summaries>" in server.prompts[-1]
    assert all(request_tokens(r) <= 2048 for r in server.requests)


def test_a_slow_endpoint_times_out_as_a_transient_error(server: ChatServer) -> None:
    server.then(server.slow)
    with pytest.raises(LLMUnavailable, match=r"timed out after 0\.3s") as info:
        make_engine(server.url, llm_timeout_seconds=0.3).summarize_session(make_source())
    assert not isinstance(info.value, PermanentTaskError), "the task's backoff retries it"


def test_an_unreachable_endpoint_is_transient() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(LLMUnavailable, match="unreachable"):
        make_engine(url).summarize_session(make_source())


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_busy_or_failing_endpoints_are_transient(
    server: ChatServer, logs: list[MutableMapping[str, Any]], status: int
) -> None:
    server.then(lambda _: (status, {"error": {"message": "busy"}}, {"Retry-After": "7"}))
    with pytest.raises(LLMUnavailable, match=f"HTTP {status}; Retry-After: 7"):
        make_engine(server.url).summarize_session(make_source())
    assert len(server.requests) == 1, "no retry inside the task: its backoff applies"
    [hint] = [e for e in logs if e["event"] == "llm_retry_after"]
    assert (hint["status"], hint["retry_after"]) == (status, "7")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_client_errors_are_permanent_and_never_show_the_key(
    server: ChatServer,
    logs: list[MutableMapping[str, Any]],
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"Incorrect API key provided: {KEY}. Bearer {KEY} and sk-{KEY[7:15]}…"
    server.then(lambda _: (status, {"error": {"message": echo}}, {}))
    with pytest.raises(LLMRequestRejected, match=f"HTTP {status}") as info:
        make_engine(server.url).summarize_session(make_source())
    assert isinstance(info.value, PermanentTaskError)
    shown = "".join(traceback.format_exception(info.value)) + json.dumps(logs, default=str)
    shown += caplog.text
    assert KEY not in shown
    assert KEY[7:15] not in shown
    if status in (401, 403):
        assert "check LLM_API_KEY" in str(info.value)


def test_a_malformed_answer_is_asked_again_once_then_fails(
    server: ChatServer, logs: list[MutableMapping[str, Any]]
) -> None:
    server.then(lambda _: chat("Sure! The candidate is great."), lambda _: chat('{"overview": 3}'))
    with pytest.raises(LLMAnswerInvalid, match="LLM answer could not be parsed: overview"):
        make_engine(server.url).summarize_session(make_source())
    assert len(server.requests) == 2
    retry = server.requests[1].body["messages"]
    assert retry[:2] == server.requests[0].body["messages"]
    assert "could not be used (no JSON object in the answer)" in retry[2]["content"]
    assert [e["attempt"] for e in logs if e["event"] == "llm_answer_malformed"] == [1, 2]
    assert KEY not in json.dumps(logs, default=str)


@pytest.mark.parametrize(
    "bad",
    [
        lambda _: chat("not json at all"),
        lambda _: (200, "<html>gateway</html>", {}),
        lambda _: (200, {"choices": []}, {}),
        lambda _: chat('{"overview": ["Fine."], "key_points": "one", "topics": []}'),
    ],
)
def test_one_malformed_answer_then_a_good_one_succeeds(
    server: ChatServer, bad: Callable[[dict[str, Any]], Reply]
) -> None:
    server.then(bad)
    summary = make_engine(server.url).summarize_session(make_source())
    assert summary.engine == "llm"
    assert len(server.requests) == 2


def test_the_built_in_engine_answers_when_configured(
    server: ChatServer, logs: list[MutableMapping[str, Any]]
) -> None:
    server.then(lambda _: chat("garbage"), lambda _: chat("still garbage"))
    source = make_source(Mode.SELF_REPORT, answers=2)
    llm = make_engine(server.url, summarizer_fallback="extractive")
    summary = llm.summarize_session(source)
    assert summary == ExtractiveSummarizer().summarize_session(source)
    assert summary.engine == "extractive"
    [fallback] = [e for e in logs if e["event"] == "llm_fallback"]
    assert fallback["fallback"] == "extractive"
    assert fallback["session_id"] == "s1"


def _sessions(count: int) -> list[SessionWithSummary]:
    extractive = ExtractiveSummarizer()
    sources = [
        SessionSource(
            f"s{i}",
            "c1",
            Mode.SELF_REPORT,
            make_source(Mode.SELF_REPORT, answers=3, words=40).turns,
            datetime(2024, 3, 28 - i, tzinfo=UTC),
        )
        for i in range(count)
    ]
    return [SessionWithSummary(s, extractive.summarize_session(s)) for s in sources]


def test_profile_prose_from_the_model_figures_counted_locally(server: ChatServer) -> None:
    sessions = _sessions(2)
    profile = make_engine(server.url).summarize_profile("c1", sessions)
    assert profile.overview == ["Casey is a backend engineer who moved billing to Kafka."]
    assert [(t.topic, t.count) for t in profile.recurring_topics] == [("kafka", 2), ("hiring", 1)]
    assert profile.highlights == ["Led the Kafka migration in nine months."]
    assert [e.session_id for e in profile.timeline] == ["s1", "s0"], "oldest first"
    assert profile.coverage.sessions == 2
    assert (profile.engine, profile.engine_version) == ("llm", "1.0+test-model")
    assert len(server.requests) == 1
    assert "Session s1 (2024-03-27, self-report)" in server.prompts[0]


def test_many_sessions_are_profiled_in_groups_then_combined(server: ChatServer) -> None:
    llm = make_engine(server.url, llm_context_tokens=2048, llm_max_output_tokens=256)
    llm.summarize_profile("c1", _sessions(12))
    assert sum("<sessions>" in p for p in server.prompts) >= 2
    assert "<profiles>" in server.prompts[-1]
    assert all(request_tokens(r) <= 2048 for r in server.requests)


def test_profile_falls_back_or_fails_on_malformed_answers(server: ChatServer) -> None:
    sessions = _sessions(2)
    server.then(*[lambda _: chat("[]")] * 4)
    profile = make_engine(server.url, summarizer_fallback="extractive").summarize_profile(
        "c1", sessions
    )
    assert profile.engine == "extractive"
    with pytest.raises(LLMAnswerInvalid, match="could not be parsed"):
        make_engine(server.url).summarize_profile("c1", sessions)
    assert len(server.requests) == 4
    with pytest.raises(NothingToSummarize):
        make_engine(server.url).summarize_profile("c1", [])


def test_tokens_and_latency_are_measured_per_model(server: ChatServer) -> None:
    from prometheus_client import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    model = f"metrics-{free_port()}"  # labels no other test uses
    reported = {"model": model, "counted": "reported"}
    estimated = {"model": model, "counted": "estimated"}

    def without_usage(body: dict[str, Any]) -> Reply:
        status, reply, headers = answer(body)
        del reply["usage"]
        return status, reply, headers

    server.then(answer, without_usage, lambda _: (503, {"error": "busy"}, {}))
    chat_client = client.ChatClient(server.url, model, timeout=5.0)
    message: client.Message = {"role": "user", "content": "<transcript>words</transcript>"}
    chat_client.complete([{"role": "system", "content": "s"}, message], 64)
    assert sample("summarization_llm_tokens_total", type="prompt", **reported) == 1
    assert sample("summarization_llm_tokens_total", type="completion", **reported) == 1
    answer_text = chat_client.complete([{"role": "system", "content": "s"}, message], 64)
    assert sample("summarization_llm_tokens_total", type="completion", **estimated) == (
        client.estimate_tokens(answer_text)
    )
    with pytest.raises(LLMUnavailable):
        chat_client.complete([message], 64)  # busy
    count = "summarization_llm_request_duration_seconds_count"
    assert sample(count, model=model, outcome="ok") == 2
    assert sample(count, model=model, outcome="LLMUnavailable") == 1
