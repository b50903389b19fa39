"""A local chat-completions server (stdlib http.server) for the LLM engine's tests.

It speaks the protocol (POST /v1/chat/completions with model and messages); each test
scripts its replies (``then``), after which ``default`` answers: a plausible answer to
map, reduce and profile prompts, grounded in ``make_source``'s transcript.
"""

import json
import threading
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from contracts.types import Mode, Role
from services.worker.settings import WorkerSettings
from services.worker.summarizer import SessionSource, Turn
from services.worker.summarizer.llm import LLMSummarizer, asking, client, engine, session

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
                "key_points": [f"{long_point} {chr(ord('a') + i)}" for i in range(points)],
                "topics": ["kafka", "billing"],
            }
        )
    )


MAP_ANSWER: dict[str, Any] = {
    "overview": ["Casey described the map part.", "It took nine months."],
    "key_points": [],
    "topics": ["kafka", "billing"],
}


def summary(**fields: Any) -> Callable[[dict[str, Any]], Reply]:
    """A step answering a chunk of a session: ``MAP_ANSWER`` with ``fields`` in place."""
    return lambda _: chat(json.dumps({**MAP_ANSWER, **fields}))


def fact(turn: int, quote: str, value: str = "", **more: Any) -> dict[str, Any]:
    """A fact as the model states it (``value`` defaults to the quote)."""
    return {"value": value or quote, "turn": turn, "quote": quote, **more}


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


@contextmanager
def running() -> Iterator[ChatServer]:
    """A stub server on a free port, stopped on exit."""
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


@contextmanager
def engine_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[MutableMapping[str, Any]]]:
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
        turns.append(
            Turn(
                Role.CANDIDATE,
                "Casey",
                f"Marker T{i:03d}: I moved billing to Kafka in nine months. {filler}.",
            )
        )
    return SessionSource("s1", "c1", mode, turns, datetime(2024, 3, 1, tzinfo=UTC))
