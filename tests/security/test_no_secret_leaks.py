"""A run with a Redis password and API keys: no log line of any service and no HTTP answer
ever holds either, whatever the request (good, bad, refused, oversized, failing)."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.demo import demo_sessions
from tests.conftest import isolated_env
from tests.redis_servers import redis_server
from tests.stack import Stack, bearer, make_key, wait_for

pytestmark = pytest.mark.e2e

PASSWORD = f"redis-pw-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("leaks")
    with redis_server(directory / "redis", "--requirepass", PASSWORD) as port:
        url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
        env = {
            **isolated_env(url, f"l{uuid.uuid4().hex[:8]}", directory),
            "LOG_LEVEL": "DEBUG",  # the chattiest the services get
            "SUMMARIZER_ENGINE": "fake",
        }
        stack = Stack(env, directory)
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()


def answers_to_everything(stack: Stack, keys: list[str]) -> list[httpx.Response]:
    """Every route, as the owner, as another tenant, refused, malformed, oversized and
    over its rate (``keys``: owner, other tenant, a slow key)."""
    owner, other = bearer(keys[0]), bearer(keys[1])
    session = demo_sessions()[0]
    sid, cid = session["session_id"], session["candidate_id"]
    answers = []
    with httpx.Client(base_url=stack.url, timeout=30) as http:

        def call(method: str, path: str, **options: object) -> httpx.Response:
            answers.append(http.request(method, path, **options))  # type: ignore[arg-type]
            return answers[-1]

        call("POST", "/sessions", json=session, headers=owner)
        task_ids = []
        for body, who in (
            ({"session_id": sid, "candidate_id": cid}, owner),
            ({"session_id": sid, "candidate_id": cid}, other),  # another tenant's session
            ({"session_id": "missing", "candidate_id": cid}, owner),
        ):
            task_ids.append(
                call("POST", "/summarization/summarize-session", json=body, headers=who).json()[
                    "task_id"
                ]
            )
        call("POST", "/summarization/summarize-profile", json={"candidate_id": cid}, headers=owner)

        def finished() -> bool:
            statuses = [
                http.get(f"/summarization/task-status/{t}", headers=h).json()["status"]
                for t, h in zip(task_ids, (owner, other, owner), strict=True)
            ]
            return all(s in ("SUCCESS", "FAILURE") for s in statuses)

        wait_for(finished, 60, "the tasks")
        for task_id, who in zip(task_ids, (owner, other, owner, other), strict=False):
            call("GET", f"/summarization/task-status/{task_id}", headers=who)
        reads = [f"/sessions/{sid}", f"/sessions/{sid}/summary"]
        reads += [f"/candidates/{cid}/profile-summary", "/metrics", "/readyz", "/nope"]
        for path in reads:
            for headers in (owner, other, {}, bearer(keys[0][:-2] + "xx")):
                call("GET", path, headers=headers)
        call("POST", "/sessions", content=b"{not json", headers=owner)
        call("POST", "/sessions", json={"turns": "x" * 2_000_000}, headers=owner)
        many = call("GET", "/healthz", headers={f"x-h{i}": "v" for i in range(5000)})
        big = call("GET", "/healthz", headers={"x-big": "a" * 2 * 1024 * 1024})
        assert (many.status_code, big.status_code) == (431, 431), "header limits, real server"
        call("GET", "/healthz", headers={"Authorization": f"Basic {keys[0]}"})
        for _ in range(2):  # the second finds the slow key's bucket empty
            call("GET", f"/sessions/{sid}", headers=bearer(keys[2]))
    return answers


def test_no_log_line_and_no_answer_holds_a_secret(stack: Stack) -> None:
    url = stack.env["DATABASE_URL"]
    keys = [
        stack.api_key,
        make_key(url, tenant="globex"),
        make_key(url, rate_per_second=0.001, burst=1),
    ]
    answers = answers_to_everything(stack, keys)
    statuses = {a.status_code for a in answers}
    assert {200, 201, 202, 401, 404, 413, 422, 429, 431} <= statuses
    secrets = [PASSWORD, *keys, *(k.split("_", 2)[2] for k in keys)]
    texts = [f"{a.status_code} {a.headers} {a.text}" for a in answers]
    logs = [p.read_text(errors="replace") for p in Path(stack.log_dir).glob("*.log")]
    assert len(logs) == 4
    assert sum(len(log.splitlines()) for log in logs) > 100, "the services did log"
    for secret in secrets:
        assert not [t for t in texts if secret in t], [t[:300] for t in texts if secret in t]
        for log in logs:
            leaked = [line for line in log.splitlines() if secret in line]
            assert leaked == [], leaked[:3]


def test_a_failure_names_only_the_callers_ids(stack: Stack) -> None:
    """globex asks for the owner's session under its own candidate: the task fails as
    'not found', naming only what globex sent; the owner's candidate appears nowhere."""
    session = demo_sessions()[0]
    other = bearer(make_key(stack.env["DATABASE_URL"], tenant="initech"))
    with httpx.Client(base_url=stack.url, timeout=30, headers=other) as http:
        body = {"session_id": session["session_id"], "candidate_id": "initech-c1"}
        task_id = http.post("/summarization/summarize-session", json=body).json()["task_id"]
        status: dict[str, object] = {}

        def failed() -> bool:
            nonlocal status
            status = http.get(f"/summarization/task-status/{task_id}").json()
            return status["status"] == "FAILURE"

        wait_for(failed, 60, "the task to fail")
    assert status["error"] == f"SessionNotFound: session {session['session_id']} not found"
    assert session["candidate_id"] not in str(status)
