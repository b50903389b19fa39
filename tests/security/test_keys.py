"""Keys are made, listed and revoked without a restart; a revocation reaches every
gateway process within API_KEY_CACHE_SECONDS."""

import json

import pytest
from fastapi.testclient import TestClient

from services.cli.__main__ import main as cli
from services.gateway import keys as gateway_keys
from shared.api_keys import TOKEN_PATTERN
from tests.security.conftest import GatewayFactory, Keys, bearer


def test_create_list_and_revoke(
    env: dict[str, str], gateway: GatewayFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = gateway(API_KEY_CACHE_SECONDS="0")
    capsys.readouterr()  # what the gateway's start printed
    assert cli(["keys", "create", "--tenant", "billing", "--scopes", "read", "--rate", "5"]) == 0
    key = capsys.readouterr().out.strip()
    assert TOKEN_PATTERN.fullmatch(key), "stdout holds the key alone"
    assert client.get("/sessions/s1", headers=bearer(key)).status_code == 404, "a working key"
    assert cli(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert key not in listed
    [entry] = [json.loads(line) for line in listed.splitlines()]
    assert (entry["tenant"], entry["scopes"], entry["rate_per_second"]) == ("billing", ["read"], 5)
    assert cli(["keys", "revoke", entry["id"]]) == 0
    assert client.get("/sessions/s1", headers=bearer(key)).status_code == 401
    assert cli(["keys", "revoke", entry["id"]]) == 1, "already revoked"
    assert cli(["keys", "list"]) == 0
    assert capsys.readouterr().out == ""
    assert cli(["keys", "list", "--all"]) == 0
    assert json.loads(capsys.readouterr().out)["revoked_at"]


@pytest.mark.parametrize(
    "args",
    [
        ["--tenant", "a:b"],
        ["--tenant", "ok", "--scopes", "write"],
        ["--tenant", "ok", "--scopes", ""],
        ["--tenant", "ok", "--rate", "-1"],
    ],
)
def test_create_refuses_bad_input(env: dict[str, str], args: list[str]) -> None:
    assert cli(["keys", "create", *args]) == 2


def test_a_revoked_key_works_until_the_cached_answer_expires(
    gateway: GatewayFactory, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(gateway_keys, "monotonic", lambda: now[0])
    client: TestClient = gateway(API_KEY_CACHE_SECONDS="5")
    key = keys.make()
    assert client.get("/sessions/s1", headers=bearer(key)).status_code == 404
    assert cli(["keys", "revoke", key.split("_")[1]]) == 0
    now[0] += 4.9
    assert client.get("/sessions/s1", headers=bearer(key)).status_code == 404, "cached"
    now[0] += 0.2
    assert client.get("/sessions/s1", headers=bearer(key)).status_code == 401


def test_a_key_store_that_does_not_answer_is_503_not_401(
    gateway: GatewayFactory, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller with a good key is told to retry, not that its key is wrong."""
    from sqlalchemy.exc import OperationalError

    def down(*_: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    client = gateway(API_KEY_CACHE_SECONDS="0")
    monkeypatch.setattr(gateway_keys.KeyCache, "_load", down)
    answer = client.get("/sessions/s1", headers=bearer(keys.acme))
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
