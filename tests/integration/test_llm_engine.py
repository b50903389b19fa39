"""The LLM engine against a local server that speaks the chat-completions protocol."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from contracts.types import Mode, Role
from services.worker.summarizer import SessionSource, Turn
from services.worker.summarizer.chat_client import ChatClient, LLMRequestRejected, LLMUnavailable
from services.worker.summarizer.chat_engine import LLMAnswerInvalid, LLMSummarizer
from shared.errors import NothingToSummarize, PermanentTaskError

KEY = "sk-test-0123456789abcdef"
GOOD = {
    "overview": ["I led the move of our event pipeline to Kafka."],
    "key_points": ["Led the Kafka migration"],
    "topics": ["kafka", "event pipelines"],
}


@dataclass
class FakeLLM:
    """Answers with ``script`` (status, body) in turn; records every request."""

    script: list[tuple[int, str]] = field(default_factory=list)
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def answer(self, content: str | dict[str, Any], status: int = 200) -> "FakeLLM":
        text = content if isinstance(content, str) else json.dumps(content)
        reply = {"choices": [{"message": {"role": "assistant", "content": text}}]}
        self.script.append((status, json.dumps(reply) if status == 200 else text))
        return self


@pytest.fixture
def llm() -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            time.sleep(fake.delay)
            status, text = fake.script.pop(0) if fake.script else (200, json.dumps(
                {"choices": [{"message": {"content": json.dumps(GOOD)}}]}))  # fmt: skip
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def engine(
    url: str, fallback: bool = False, timeout: float = 5.0, context: int = 8192
) -> LLMSummarizer:
    client = ChatClient(url, "test-model", SecretStr(KEY), timeout, 256)
    return LLMSummarizer(client, context, 256, fallback)


def source(mode: Mode = Mode.SELF_REPORT, words: int = 0) -> SessionSource:
    turns = [
        Turn(Role.INTERVIEWER, "Sam", "What did you lead last year?"),
        Turn(Role.CANDIDATE, "Ada", "I led the move of our event pipeline to Kafka."),
    ]
    if words:
        turns += [Turn(Role.CANDIDATE, "Ada", "I designed the consumers. " * 8)] * (words // 32)
    return SessionSource("s1", "c1", mode, turns)


def test_structured_summary_from_the_model(llm: tuple[FakeLLM, str]) -> None:
    fake, url = llm
    summary = engine(url).summarize_session(source())
    assert summary.overview == GOOD["overview"]
    assert summary.engine == "llm"
    assert summary.engine_version == "1.0+test-model"
    assert summary.speakers[0].speaker in ("Sam", "Ada"), "speakers computed locally"
    assert fake.headers[0]["Authorization"] == f"Bearer {KEY}"
    [request] = fake.requests
    assert request["model"] == "test-model"
    prompt = request["messages"][0]["content"]
    assert "What did you lead" not in prompt, "SELF_REPORT sends the candidate's turns only"


def test_long_transcripts_are_mapped_then_reduced(llm: tuple[FakeLLM, str]) -> None:
    fake, url = llm
    engine(url, context=1024).summarize_session(source(words=6000))
    assert len(fake.requests) >= 3, "several chunk calls, then one combining call"
    budget_chars = (1024 - 256) // 2 * 4
    for request in fake.requests[:-1]:
        transcript = request["messages"][0]["content"].split("Transcript:\n", 1)[1]
        assert len(transcript) <= budget_chars + 200
    assert "Partial summaries" in fake.requests[-1]["messages"][0]["content"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_endpoints_are_transient(llm: tuple[FakeLLM, str], status: int) -> None:
    fake, url = llm
    fake.answer("busy", status=status)
    with pytest.raises(LLMUnavailable) as info:
        engine(url).summarize_session(source())
    assert not isinstance(info.value, PermanentTaskError), "the task's backoff retries it"


def test_a_slow_endpoint_times_out_as_transient(llm: tuple[FakeLLM, str]) -> None:
    fake, url = llm
    fake.delay = 1.0
    with pytest.raises(LLMUnavailable, match="timed out"):
        engine(url, timeout=0.2).summarize_session(source())


@pytest.mark.parametrize("status", [400, 401, 404])
def test_other_client_errors_are_permanent_and_never_show_the_key(
    llm: tuple[FakeLLM, str], status: int
) -> None:
    fake, url = llm
    fake.answer(f'{{"error": "bad key {KEY}"}}', status=status)
    with capture_logs() as logs, pytest.raises(LLMRequestRejected) as info:
        engine(url).summarize_session(source())
    assert str(status) in str(info.value)
    assert KEY not in str(info.value)
    assert KEY not in json.dumps(logs, default=str)


def test_malformed_answer_is_retried_once_then_fails(llm: tuple[FakeLLM, str]) -> None:
    fake, url = llm
    fake.answer("Sure! Here is a summary: the candidate is great.").answer('{"overview": 3}')
    with pytest.raises(LLMAnswerInvalid, match="LLM answer could not be parsed"):
        engine(url).summarize_session(source())
    assert len(fake.requests) == 2


def test_malformed_then_good_answer_succeeds(llm: tuple[FakeLLM, str]) -> None:
    fake, url = llm
    fake.answer("not json").answer("```json\n" + json.dumps(GOOD) + "\n```")
    assert engine(url).summarize_session(source()).overview == GOOD["overview"]


def test_fallback_to_the_built_in_engine(llm: tuple[FakeLLM, str]) -> None:
    fake, url = llm
    fake.answer("garbage").answer("still garbage")
    summary = engine(url, fallback=True).summarize_session(source())
    assert summary.engine == "extractive"
    assert summary.overview == ["I led the move of our event pipeline to Kafka."]


def test_no_candidate_statements_is_a_clear_failure(llm: tuple[FakeLLM, str]) -> None:
    _, url = llm
    only_questions = SessionSource(
        "s", "c", Mode.SELF_REPORT, [Turn(Role.INTERVIEWER, "Sam", "Tell me about you.")]
    )
    with pytest.raises(NothingToSummarize, match="no candidate statements to summarize"):
        engine(url).summarize_session(only_questions)


def test_profile_prose_from_the_model_counts_from_the_sessions(llm: tuple[FakeLLM, str]) -> None:
    from services.worker.summarizer import SessionWithSummary
    from services.worker.summarizer.extractive import ExtractiveSummarizer

    fake, url = llm
    sessions = [
        SessionWithSummary(source(), ExtractiveSummarizer().summarize_session(source()))
        for _ in range(2)
    ]
    profile_answer = {"overview": ["Ada leads event-pipeline work."], "highlights": ["Kafka"]}
    fake.answer(profile_answer)
    profile = engine(url).summarize_profile("c1", sessions)
    assert profile.overview == ["Ada leads event-pipeline work."]
    assert profile.coverage.sessions == 2, "coverage counted locally"
    assert profile.engine == "llm"
