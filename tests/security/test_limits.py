"""Limits: a token bucket per key (429 + Retry-After), a cap on a candidate's unfinished
tasks (429), and header count and size (431)."""

import pytest
import redis
from fastapi.testclient import TestClient

from services.gateway import accept as accept_module
from shared import keys as redis_keys
from tests.security.conftest import GatewayFactory, Keys, bearer

PROFILE = "/summarization/summarize-profile"


def test_an_empty_bucket_is_429_with_retry_after_for_that_key_only(
    gateway: GatewayFactory, keys: Keys
) -> None:
    slow = bearer(keys.make(rate_per_second=0.01, burst=3))
    first, second = gateway(), gateway()  # two gateway processes share the bucket
    answers = [first.get("/sessions/s1", headers=slow).status_code for _ in range(2)]
    answers.append(second.post(PROFILE, json={"candidate_id": "c"}, headers=slow).status_code)
    assert answers == [404, 404, 202]
    refused = second.get("/sessions/s1", headers=slow)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 100, "a token every 100 s"
    assert refused.json()["detail"].startswith("rate limit of this key exceeded")
    assert first.get("/sessions/s1", headers=bearer(keys.acme)).status_code == 404


def test_the_default_rate_applies_to_keys_without_their_own(
    gateway: GatewayFactory, keys: Keys
) -> None:
    client = gateway(RATE_LIMIT_PER_SECOND="0.01", RATE_LIMIT_BURST="2")
    default = bearer(keys.make(rate_per_second=None))
    codes = [client.get("/sessions/s1", headers=default).status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    unlimited = bearer(keys.make(rate_per_second=0))
    assert {client.get("/sessions/s1", headers=unlimited).status_code for _ in range(5)} == {404}


def test_a_candidate_has_at_most_its_slots_of_unfinished_tasks(
    gateway: GatewayFactory, keys: Keys, env: dict[str, str]
) -> None:
    client = gateway(MAX_ACTIVE_PER_CANDIDATE="2")
    acme, globex = bearer(keys.acme), bearer(keys.globex)
    retried = {**acme, "Idempotency-Key": "k1"}
    first = client.post(PROFILE, json={"candidate_id": "c1"}, headers=retried).json()["task_id"]
    assert client.post(PROFILE, json={"candidate_id": "c1"}, headers=acme).status_code == 202
    busy = client.post(PROFILE, json={"candidate_id": "c1"}, headers=acme)
    assert busy.status_code == 429
    assert busy.headers["Retry-After"] == "5"
    assert busy.json()["detail"].startswith("candidate c1 has 2 summaries in progress")
    again = client.post(PROFILE, json={"candidate_id": "c1"}, headers=retried)
    assert again.json()["task_id"] == first, "a retried request takes no new slot"
    assert client.post(PROFILE, json={"candidate_id": "c2"}, headers=acme).status_code == 202
    assert client.post(PROFILE, json={"candidate_id": "c1"}, headers=globex).status_code == 202
    r = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    r.hset(redis_keys.status(env["KEY_PREFIX"], first), "terminal", "1")  # as the projector
    r.close()
    assert client.post(PROFILE, json={"candidate_id": "c1"}, headers=acme).status_code == 202
    assert client.post(PROFILE, json={"candidate_id": "c1"}, headers=acme).status_code == 429


def test_a_request_that_fails_gives_its_slot_and_key_back(
    gateway: GatewayFactory, keys: Keys, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = gateway(MAX_ACTIVE_PER_CANDIDATE="1")
    retried = {**bearer(keys.acme), "Idempotency-Key": "k1"}

    async def redis_fails(*_: object) -> None:
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(accept_module, "accept", redis_fails)
    with pytest.raises(ConnectionError):
        client.post(PROFILE, json={"candidate_id": "c1"}, headers=retried)
    r = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    assert r.zcard(redis_keys.running(env["KEY_PREFIX"], "acme", "c1")) == 0
    r.close()
    monkeypatch.undo()
    assert client.post(PROFILE, json={"candidate_id": "c1"}, headers=retried).status_code == 202


def test_too_many_or_too_large_headers_are_431(client: TestClient, keys: Keys) -> None:
    acme = bearer(keys.acme)
    many = {f"x-h{i}": "v" for i in range(101)}
    refused = client.get("/sessions/s1", headers={**acme, **many})
    assert refused.status_code == 431
    assert refused.json() == {
        "detail": "request headers too large (limits: 100 headers, 16384 bytes)"
    }
    assert client.get("/healthz", headers={"x-big": "a" * 20_000}).status_code == 431
    assert client.get("/sessions/s1", headers={**acme, "x-ok": "a" * 10_000}).status_code == 404
