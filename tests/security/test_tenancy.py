"""Ownership: a tenant's sessions, candidates, tasks and summaries are its own. Another
tenant gets 404, word for word the answer for an id nobody has, and its own writes under
the same ids never touch them."""

import json

import pytest
import redis
from fastapi.testclient import TestClient

from services.cli.demo import demo_sessions
from services.worker import jobs
from services.worker.context import WorkerContext
from services.worker.settings import WorkerSettings
from services.worker.summarizer.extractive import ExtractiveSummarizer
from shared.errors import SessionNotFound
from shared.store import Database
from tests.security.conftest import GatewayFactory, Keys, bearer

SESSION = demo_sessions()[0]
SID, CID = SESSION["session_id"], SESSION["candidate_id"]


@pytest.fixture
def acme(client: TestClient, keys: Keys) -> dict[str, str]:
    headers = bearer(keys.acme)
    assert client.post("/sessions", json=SESSION, headers=headers).status_code == 201
    return headers


@pytest.fixture
def globex(keys: Keys) -> dict[str, str]:
    return bearer(keys.globex)


@pytest.fixture
def worker(env: dict[str, str]) -> WorkerContext:
    db = Database(env["DATABASE_URL"])
    return WorkerContext(settings=WorkerSettings(), db=db, summarizer=ExtractiveSummarizer())


def same_404(client: TestClient, path: str, other: str, headers: dict[str, str]) -> None:
    """``path`` answers exactly as ``other`` (an id nobody has), once the ids are swapped."""
    theirs, nobodys = client.get(path, headers=headers), client.get(other, headers=headers)
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.text == nobodys.text.replace("never-seen", SID).replace("nobody", CID)


def test_sessions_and_summaries_of_another_tenant_read_as_unknown(
    client: TestClient, acme: dict[str, str], globex: dict[str, str], worker: WorkerContext
) -> None:
    jobs.summarize_session(worker, task_id="t-s", session_id=SID, candidate_id=CID, tenant="acme")
    jobs.summarize_profile(worker, task_id="t-p", candidate_id=CID, tenant="acme")
    owned = {
        f"/sessions/{SID}": "/sessions/never-seen",
        f"/sessions/{SID}/summary": "/sessions/never-seen/summary",
        f"/candidates/{CID}/profile-summary": "/candidates/nobody/profile-summary",
    }
    for path, unknown in owned.items():
        assert client.get(path, headers=acme).status_code == 200, path
        same_404(client, path, unknown, globex)


def test_writes_under_another_tenants_ids_stay_the_writers(
    client: TestClient, acme: dict[str, str], globex: dict[str, str], worker: WorkerContext
) -> None:
    """globex stores a session with acme's session and candidate ids: its own, no 409
    (that would say the id exists), and acme's profile never includes it."""
    other = {**SESSION, "turns": [{"role": "candidate", "text": "I run the payroll team."}]}
    assert client.post("/sessions", json=other, headers=globex).status_code == 201
    more = {**other, "session_id": "globex-extra"}
    assert client.post("/sessions", json=more, headers=globex).status_code == 201
    assert client.get(f"/sessions/{SID}", headers=acme).json()["turns"] == [
        {"role": t["role"], "speaker": t.get("speaker", ""), "text": t["text"]}
        for t in SESSION["turns"]
    ]
    profile = jobs.summarize_profile(worker, task_id="t-p", candidate_id=CID, tenant="acme")
    assert [entry["session_id"] for entry in profile["timeline"]] == [SID]
    assert "payroll" not in json.dumps(profile)
    theirs = jobs.summarize_profile(worker, task_id="t-g", candidate_id=CID, tenant="globex")
    assert sorted(e["session_id"] for e in theirs["timeline"]) == sorted([SID, "globex-extra"])


def test_a_task_on_another_tenants_session_fails_naming_only_the_callers_ids(
    acme: dict[str, str], worker: WorkerContext
) -> None:
    with pytest.raises(SessionNotFound) as failure:
        jobs.summarize_session(
            worker, task_id="t-x", session_id=SID, candidate_id="mine", tenant="globex"
        )
    assert str(failure.value) == f"session {SID} not found"


def test_task_status_of_another_tenant_is_404_unknown(
    client: TestClient, acme: dict[str, str], globex: dict[str, str]
) -> None:
    body = {"session_id": SID, "candidate_id": CID}
    task_id = client.post("/summarization/summarize-session", json=body, headers=acme).json()[
        "task_id"
    ]
    assert client.get(f"/summarization/task-status/{task_id}", headers=acme).status_code == 200
    for suffix in ("", "/events"):  # its status, and its status followed live
        theirs = client.get(f"/summarization/task-status/{task_id}{suffix}", headers=globex)
        nobodys = client.get(f"/summarization/task-status/never-seen{suffix}", headers=globex)
        assert theirs.status_code == nobodys.status_code == 404
        assert theirs.json() == {**nobodys.json(), "task_id": task_id}


def test_requests_carry_their_tenant_and_idempotency_keys_are_per_tenant(
    client: TestClient,
    acme: dict[str, str],
    globex: dict[str, str],
    env: dict[str, str],
) -> None:
    path = "/summarization/summarize-profile"
    key = {"Idempotency-Key": "order-7"}
    first = client.post(path, json={"candidate_id": CID}, headers={**acme, **key})
    other = client.post(path, json={"candidate_id": "c9"}, headers={**globex, **key})
    assert (first.status_code, other.status_code) == (202, 202), "no 409 across tenants"
    assert first.json()["task_id"] != other.json()["task_id"]
    r = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    events = [
        json.loads(json.loads(fields["__data__"])["data"])
        for _, fields in r.xrange(env["STREAM_REQUESTED"])
    ]
    r.close()
    assert [(e["tenant"], e["candidate_id"]) for e in events] == [("acme", CID), ("globex", "c9")]


def test_the_caller_header_counts_only_when_trusted(
    gateway: GatewayFactory, acme: dict[str, str], globex: dict[str, str]
) -> None:
    as_acme = {"X-Caller-Id": "acme"}
    untrusted = gateway()
    assert untrusted.get(f"/sessions/{SID}", headers=as_acme).status_code == 401
    trusted = gateway(TRUST_CALLER_HEADER="true")
    assert trusted.get(f"/sessions/{SID}", headers=as_acme).status_code == 200
    assert trusted.get(f"/sessions/{SID}", headers={**globex, **as_acme}).status_code == 404, (
        "a key is who the caller is, whatever the header says"
    )
    assert trusted.get(f"/sessions/{SID}", headers={"X-Caller-Id": "a:b"}).status_code == 401
    assert trusted.get("/metrics", headers=as_acme).status_code == 403, "no admin by header"


def test_a_request_still_on_the_stream_is_pending_for_its_tenant_only(
    client: TestClient, keys: Keys, env: dict[str, str]
) -> None:
    """A request XADDed by a producer has no status record until it is dispatched; its
    status read finds it on the stream, for the tenant it names (none: ``default``)."""
    r = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    stream = env["STREAM_REQUESTED"]
    r.xadd(stream, {"task_id": "t-g", "tenant": "globex", "kind": "profile", "candidate_id": "c"})
    r.xadd(stream, {"task_id": "t-d", "kind": "profile", "candidate_id": "c"})
    r.close()
    default = bearer(keys.make(tenant="default"))
    for task_id, owner, others in (
        ("t-g", bearer(keys.globex), [bearer(keys.acme), default]),
        ("t-d", default, [bearer(keys.acme), bearer(keys.globex)]),
    ):
        path = f"/summarization/task-status/{task_id}"
        assert client.get(path, headers=owner).json()["status"] == "PENDING"
        for headers in others:
            assert client.get(path, headers=headers).status_code == 404
            assert client.get(f"{path}/events", headers=headers).status_code == 404
