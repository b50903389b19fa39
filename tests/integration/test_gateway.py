"""The gateway's HTTP API in-process (FastAPI TestClient), on a real Redis and store."""

import json
from collections.abc import Iterator

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from services.cli.demo import demo_sessions
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings


@pytest.fixture
def env(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    return stack_env


@pytest.fixture
def client(env: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(GatewaySettings())) as c:
        yield c


@pytest.fixture
def r(env: dict[str, str]) -> Iterator[redis.Redis]:
    c = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    yield c
    c.close()


def test_accepted_request_is_on_the_stream_before_the_202(
    client: TestClient, r: redis.Redis, env: dict[str, str]
) -> None:
    response = client.post(
        "/summarization/summarize-session",
        json={"session_id": "s1", "candidate_id": "c1", "mode": "INTERVIEW"},
    )
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    [(_, fields)] = r.xrange(env["STREAM_REQUESTED"])
    event = json.loads(json.loads(fields["__data__"])["data"])
    assert event["task_id"] == task_id
    assert (event["kind"], event["session_id"], event["mode"]) == ("session", "s1", "INTERVIEW")
    status = client.get(f"/summarization/task-status/{task_id}")
    assert status.status_code == 200
    assert status.json()["status"] == "PENDING"
    assert status.json()["message"] == "Task status: PENDING"


def test_a_redis_without_the_script_still_gets_the_record(
    client: TestClient, r: redis.Redis, env: dict[str, str]
) -> None:
    """The record and the event go in one pipeline (EVALSHA); a Redis that lost its
    scripts (restarted, failed over) answers NOSCRIPT, and the record is written anyway."""
    r.script_flush()
    response = client.post(
        "/summarization/summarize-session", json={"session_id": "s1", "candidate_id": "c1"}
    )
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert r.xlen(env["STREAM_REQUESTED"]) == 1
    assert client.get(f"/summarization/task-status/{task_id}").json()["status"] == "PENDING"


def test_unknown_task_is_404_unknown(client: TestClient) -> None:
    response = client.get("/summarization/task-status/never-seen")
    assert response.status_code == 404
    assert response.json()["status"] == "UNKNOWN"
    assert response.json()["task_id"] == "never-seen"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/summarization/summarize-session", {"candidate_id": "c"}, "session_id"),
        ("/summarization/summarize-session",
         {"session_id": "s", "candidate_id": "c", "mode": "GOSSIP"}, "mode"),
        ("/summarization/summarize-session", {"session_id": "", "candidate_id": "c"}, "session_id"),
        ("/summarization/summarize-profile", {}, "candidate_id"),
        ("/summarization/summarize-profile", {"candidate_id": "c", "extra": 1}, "extra"),
        ("/sessions", {"candidate_id": "c", "turns": []}, "turns"),
        ("/sessions", {"candidate_id": "c", "turns": [{"role": "boss", "text": "x"}]}, "role"),
    ],
)  # fmt: skip
def test_invalid_bodies_are_422_naming_the_field(
    client: TestClient,
    r: redis.Redis,
    env: dict[str, str],
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert field in [str(part) for err in response.json()["detail"] for part in err["loc"]]
    assert not r.exists(env["STREAM_REQUESTED"]), "nothing is queued for a bad request"


VALID_BODIES: dict[str, dict[str, object]] = {
    "/summarization/summarize-session": {"session_id": "s", "candidate_id": "c"},
    "/summarization/summarize-profile": {"candidate_id": "c"},
    "/sessions": {"candidate_id": "c", "turns": [{"role": "candidate", "text": "x"}]},
}
FIELDS: dict[str, list[tuple[str | int, ...]]] = {
    "/summarization/summarize-session": [("session_id",), ("candidate_id",), ("mode",), ("note",)],
    "/summarization/summarize-profile": [("candidate_id",), ("note",)],
    "/sessions": [
        ("session_id",), ("candidate_id",), ("candidate_name",), ("mode",), ("title",),
        ("occurred_at",), ("note",), ("turns", 0, "role"), ("turns", 0, "speaker"),
        ("turns", 0, "text"), ("turns", 0, "note"),
    ],
}  # fmt: skip
UNENCODABLE = ["NaN", "Infinity", "-Infinity", "1e999", '"\\ud800"', '"ok \\udfff"']


def _body_with(path: str, field: tuple[str | int, ...], raw: str) -> bytes:
    """The route's valid body with ``field`` set to the raw JSON text ``raw``."""
    body = json.loads(json.dumps(VALID_BODIES[path]))
    target = body
    for part in field[:-1]:
        target = target[part]
    target[field[-1]] = "__value__"
    return json.dumps(body).replace('"__value__"', raw).encode()


@pytest.mark.parametrize("raw", UNENCODABLE)
@pytest.mark.parametrize("path", list(VALID_BODIES))
def test_values_json_cannot_echo_are_422_naming_the_field(
    client: TestClient, r: redis.Redis, env: dict[str, str], path: str, raw: str
) -> None:
    """NaN, infinities and lone surrogates in any field: a 422 in strict JSON that names
    the field (the default handler echoed the value back and failed with a 500)."""
    for field in FIELDS[path]:
        response = client.post(
            path,
            content=_body_with(path, field, raw),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 422, (field, response.text)
        detail = orjson.loads(response.content)["detail"]  # strict: no NaN, no surrogates
        assert [*field] in [err["loc"][1:] for err in detail], (field, detail)
    assert not r.exists(env["STREAM_REQUESTED"]), "nothing is queued for a bad request"


def test_an_invalid_value_json_can_carry_is_still_echoed(client: TestClient) -> None:
    response = client.post(
        "/summarization/summarize-session",
        json={"session_id": "s", "candidate_id": "c", "mode": "GOSSIP"},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["input"]) == (["body", "mode"], "GOSSIP")


def test_sessions_are_stored_and_read_back(client: TestClient) -> None:
    session = demo_sessions()[0]
    created = client.post("/sessions", json=session)
    assert created.status_code == 201
    assert created.json()["word_count"] > 100
    again = client.post("/sessions", json=session)
    assert again.status_code == 200, "same id and content: idempotent"
    changed = {**session, "turns": session["turns"][:2]}
    assert client.post("/sessions", json=changed).status_code == 409
    read = client.get(f"/sessions/{session['session_id']}")
    assert read.status_code == 200
    assert [t["text"] for t in read.json()["turns"]] == [t["text"] for t in session["turns"]]
    assert client.get("/sessions/nope").status_code == 404
    missing = client.get(f"/sessions/{session['session_id']}/summary")
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"session {session['session_id']} has no summary yet"
    assert client.get("/candidates/nobody/profile-summary").status_code == 404


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"redis": "ok", "store": "ok"}


def test_readiness_fails_when_redis_is_unreachable(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    with TestClient(create_app(GatewaySettings())) as c:
        ready = c.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"].startswith("error")


SESSION = {"session_id": "s1", "candidate_id": "c1"}


def test_same_idempotency_key_is_the_same_task_and_enqueues_once(
    client: TestClient, r: redis.Redis, env: dict[str, str]
) -> None:
    path = "/summarization/summarize-session"
    first = client.post(path, json=SESSION, headers={"Idempotency-Key": "k1"})
    again = client.post(path, json=SESSION, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["task_id"] == again.json()["task_id"]
    assert r.xlen(env["STREAM_REQUESTED"]) == 1
    other_caller = client.post(
        path, json=SESSION, headers={"Idempotency-Key": "k1", "X-Caller-Id": "billing"}
    )
    assert other_caller.json()["task_id"] != first.json()["task_id"]
    conflict = client.post(
        path, json={**SESSION, "mode": "INTERVIEW"}, headers={"Idempotency-Key": "k1"}
    )
    assert conflict.status_code == 409
    assert "different request body" in conflict.json()["detail"]
    assert r.xlen(env["STREAM_REQUESTED"]) == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("alice", "k:1"), ("alice:k", "1")),
        (("alice", "%3A1"), ("alice", ":1")),
        (("a%3Ab", "k"), ("a:b", "k")),
    ],
)
def test_different_caller_and_key_pairs_never_share_an_idempotency_record(
    client: TestClient,
    r: redis.Redis,
    env: dict[str, str],
    first: tuple[str, str],
    second: tuple[str, str],
) -> None:
    """Caller and key are kept apart in the record's name: one (caller, key) pair never
    answers another pair's request (nor a 409 for a body that pair never sent)."""
    path = "/summarization/summarize-session"
    answers = [
        client.post(
            path,
            json={**SESSION, "mode": mode},
            headers={"X-Caller-Id": caller, "Idempotency-Key": key},
        )
        for (caller, key), mode in ((first, "SELF_REPORT"), (second, "INTERVIEW"))
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json()["task_id"] != answers[1].json()["task_id"]
    assert r.xlen(env["STREAM_REQUESTED"]) == 2


def test_oversized_bodies_are_413_before_parsing(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    with TestClient(create_app(GatewaySettings())) as c:
        big = {"candidate_id": "c", "turns": [{"role": "candidate", "text": "x" * 5000}]}
        response = c.post("/sessions", json=big)
        assert response.status_code == 413
        assert response.json()["detail"] == "request body too large (limit 2048 bytes)"
        chunked = c.post(
            "/sessions",
            content=iter([b'{"candidate_id": "c", "turns": [', b" " * 4096, b"]}"]),
            headers={"content-type": "application/json"},
        )
        assert chunked.status_code == 413


def test_full_backlog_is_503_with_retry_after(
    env: dict[str, str], r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_BACKLOG", "3")
    stream = env["STREAM_REQUESTED"]
    r.xgroup_create(stream, env["CONSUMER_GROUP"], id="0", mkstream=True)
    with TestClient(create_app(GatewaySettings())) as c:
        for _ in range(3):
            assert (
                c.post("/summarization/summarize-profile", json={"candidate_id": "c"}).status_code
                == 202
            )
        import time

        time.sleep(1.1)  # the backlog figure is cached for a second
        refused = c.post("/summarization/summarize-profile", json={"candidate_id": "c"})
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert r.xlen(stream) == 3


def test_session_instants_come_back_in_utc_with_an_offset(client: TestClient) -> None:
    body = {
        "session_id": "s-tz",
        "candidate_id": "c-tz",
        "occurred_at": "2026-11-20T09:00:00+05:00",
        "turns": [{"role": "candidate", "speaker": "Ada", "text": "I ship billing code."}],
    }
    posted = client.post("/sessions", json=body).json()
    got = client.get("/sessions/s-tz").json()
    for answer in (posted, got):
        assert answer["occurred_at"] == "2026-11-20T04:00:00Z"
        assert answer["created_at"].endswith("Z")
    assert got["created_at"] == posted["created_at"]
    same = client.post("/sessions", json={**body, "occurred_at": "2026-11-20T04:00:00Z"})
    assert same.status_code == 200
    moved = client.post("/sessions", json={**body, "occurred_at": "2026-11-20T09:00:00Z"})
    assert moved.status_code == 409


def test_a_request_xadded_by_another_service_is_pending_before_dispatch(
    client: TestClient, r: redis.Redis, env: dict[str, str]
) -> None:
    """No record exists until a dispatcher reads the entry: the status read finds it on
    the stream (plain fields or the JSON envelope; undelivered or delivered and pending)."""
    stream, group = env["STREAM_REQUESTED"], env["CONSUMER_GROUP"]
    plain, wrapped = "raw-plain-1", "raw-envelope-1"
    r.xadd(stream, {"task_id": plain, "kind": "profile", "candidate_id": "c1"})
    r.xadd(
        stream, {"__data__": json.dumps({"data": json.dumps({"task_id": wrapped}), "headers": {}})}
    )

    def status(task_id: str) -> tuple[int, str]:
        response = client.get(f"/summarization/task-status/{task_id}")
        return response.status_code, response.json()["status"]

    assert status(plain) == (200, "PENDING")
    assert status(wrapped) == (200, "PENDING")
    assert status("raw-never-sent") == (404, "UNKNOWN")
    r.xgroup_create(stream, group, id="0")
    [(_, entries)] = r.xreadgroup(group, "d1", {stream: ">"}, count=1)
    assert status(plain) == (200, "PENDING")  # delivered, not yet acknowledged
    r.xack(stream, group, entries[0][0])
    assert status(plain) == (404, "UNKNOWN")  # acknowledged: the record is the truth now
    assert status(wrapped) == (200, "PENDING")
