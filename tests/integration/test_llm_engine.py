"""The LLM engine end to end against a local chat-completions server (``tests.chat_stub``):
the protocol, the response formats, budgets and map-reduce, failures and fallbacks.
Replies are scripted per test: good, slow, failing (429, 5xx, 4xx), malformed."""

import itertools
import json
import logging
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.types import Mode
from services.worker.summarizer import SessionSource, SessionWithSummary
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.llm import (
    LLMAnswerInvalid,
    LLMRequestRejected,
    LLMUnavailable,
    client,
)
from services.worker.summarizer.stats import source_stats, speaker_stats
from shared.errors import NothingToSummarize, PermanentTaskError
from shared.redis_server import free_port
from tests.chat_stub import (
    KEY,
    ChatServer,
    Recorded,
    Reply,
    answer,
    chat,
    engine_logs,
    make_engine,
    make_source,
    running,
)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with running() as chat_server:
        yield chat_server


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
    with engine_logs(monkeypatch) as captured:
        yield captured


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
    assert (summary.engine, summary.engine_version) == ("llm", "2.0+test-model")
    assert summary.speakers == speaker_stats(source), "speakers are counted locally"
    assert summary.source == source_stats(source)
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "test-model"
    assert request.body["max_tokens"] == 1024
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    shape = request.body["response_format"]
    assert shape["type"] == "json_schema"
    assert shape["json_schema"]["name"] == "session_summary"
    assert shape["json_schema"]["strict"] is True
    assert "facts" in shape["json_schema"]["schema"]["required"]
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
    server.then(*[lambda _: (status, {"error": {"message": echo}}, {})] * 3)
    with pytest.raises(LLMRequestRejected, match=f"HTTP {status}") as info:
        make_engine(server.url).summarize_session(make_source())
    shapes = 3 if status in (400, 422) else 1
    assert len(server.requests) == shapes, "400 and 422 may refuse the response format"
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
    first, retry = (r.body["messages"] for r in server.requests)
    assert [m["role"] for m in retry] == ["system", "user"]
    assert retry[1]["content"].startswith(first[1]["content"]), "the question, asked again"
    assert "could not be used (no JSON object in the answer)" in retry[1]["content"]
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
    assert (profile.engine, profile.engine_version) == ("llm", "2.0+test-model")
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


def _shape(request: Recorded) -> str:
    """The response_format a request asked for: its type, and whether a schema came along."""
    fmt = request.body.get("response_format")
    if fmt is None:
        return "none"
    return fmt["type"] + ("+schema" if "schema" in fmt else "")


def _refuse_json_schema(status: int) -> Callable[[dict[str, Any]], Reply]:
    def step(body: dict[str, Any]) -> Reply:
        if body["response_format"]["type"] == "json_schema":
            message = "response_format.type: Input should be 'text' or 'json_object'"
            return status, {"error": {"message": message}}, {}
        return answer(body)

    return step


@pytest.mark.parametrize("status", [400, 422, 500])
def test_a_server_without_json_schema_gets_the_schema_in_json_object_from_then_on(
    server: ChatServer, logs: list[MutableMapping[str, Any]], status: int
) -> None:
    server.default = _refuse_json_schema(status)
    llm = make_engine(server.url)
    first = llm.summarize_session(make_source())
    second = llm.summarize_session(make_source())
    assert first.engine == second.engine == "llm"
    assert [_shape(r) for r in server.requests] == [
        "json_schema",
        "json_object+schema",
        "json_object+schema",
    ], "asked again at once, then remembered"
    assert server.requests[1].body["response_format"]["schema"]["required"][-1] == "facts"
    [rejected] = [e for e in logs if e["event"] == "llm_response_format_rejected"]
    assert (rejected["shape"], rejected["status"]) == ("json_schema", status)


def test_a_server_without_schemas_gets_plain_json_object(server: ChatServer) -> None:
    def plain_only(body: dict[str, Any]) -> Reply:
        if _shape(Recorded("", {}, body)) != "json_object":
            return 400, {"error": {"message": "unsupported response_format"}}, {}
        return answer(body)

    server.default = plain_only
    llm = make_engine(server.url)
    llm.summarize_session(make_source())
    llm.summarize_session(make_source())
    shapes = [_shape(r) for r in server.requests]
    assert shapes == ["json_schema", "json_object+schema", "json_object", "json_object"]


def test_a_server_error_that_is_not_about_the_format_is_not_retried(server: ChatServer) -> None:
    server.then(lambda _: (500, {"error": {"message": "CUDA out of memory"}}, {}))
    with pytest.raises(LLMUnavailable, match="HTTP 500"):
        make_engine(server.url).summarize_session(make_source())
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("values", "shape"),
    [
        ({"llm_response_format": "json_object"}, "json_object"),
        ({"llm_response_format": "none"}, "none"),
        ({"llm_json_mode": False}, "none"),
        ({"llm_json_mode": True}, "json_schema"),
        ({"llm_json_mode": False, "llm_response_format": "json_object"}, "json_object"),
    ],
)
def test_the_response_format_settings(
    server: ChatServer, values: dict[str, Any], shape: str
) -> None:
    make_engine(server.url, **values).summarize_session(make_source())
    assert [_shape(r) for r in server.requests] == [shape]


def test_the_question_asked_again_keeps_the_roles_alternating(server: ChatServer) -> None:
    """Some chat templates (Gemma's) refuse two user messages in a row."""

    def alternating(body: dict[str, Any]) -> Reply:
        roles = [m["role"] for m in body["messages"] if m["role"] != "system"]
        if any(a == b for a, b in itertools.pairwise(roles)):
            message = "Conversation roles must alternate user/assistant/user/assistant/..."
            return 400, {"error": {"message": message}}, {}
        return answer(body)

    server.default = alternating
    server.then(lambda _: chat("Sure! The candidate is great."))
    summary = make_engine(server.url, llm_response_format="none").summarize_session(make_source())
    assert summary.engine == "llm"
    assert len(server.requests) == 2


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
