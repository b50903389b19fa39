"""Every route: no key or a wrong key is 401, a key without the route's scope 403."""

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.cli.__main__ import main as cli
from shared.api_keys import Scope
from tests.security.conftest import ALL, GatewayFactory, Keys, bearer

OPEN = {("GET", "/healthz"), ("GET", "/readyz")}
SCOPE = {
    ("POST", "/summarization/summarize-session"): Scope.SUBMIT,
    ("POST", "/summarization/summarize-profile"): Scope.SUBMIT,
    ("POST", "/sessions"): Scope.SUBMIT,
    ("GET", "/summarization/task-status/{task_id}"): Scope.READ,
    ("GET", "/summarization/task-status/{task_id}/events"): Scope.READ,
    ("GET", "/sessions/{session_id}"): Scope.READ,
    ("GET", "/sessions/{session_id}/summary"): Scope.READ,
    ("GET", "/candidates/{candidate_id}/profile-summary"): Scope.READ,
    ("GET", "/metrics"): Scope.ADMIN,
    ("GET", "/metrics/"): Scope.ADMIN,
}


HIDDEN = {("GET", "/metrics"), ("GET", "/metrics/")}
"""Routes outside the OpenAPI document."""


def routes(client: TestClient) -> set[tuple[str, str]]:
    """Every route of the API, as the OpenAPI document lists them."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def call(client: TestClient, method: str, path: str, key: str | None = None) -> int:
    url = path.replace("{task_id}", "t1").replace("{session_id}", "s1")
    url = url.replace("{candidate_id}", "c1")
    headers = bearer(key) if key is not None else {}
    return client.request(method, url, headers=headers, json={}).status_code


def test_every_route_is_either_open_or_needs_a_scope(client: TestClient) -> None:
    """A new route fails here until it says who may call it."""
    assert routes(client) == {*OPEN, *SCOPE} - HIDDEN


@pytest.mark.parametrize(("method", "path"), sorted(SCOPE))
def test_no_key_or_a_wrong_key_is_401_with_www_authenticate(
    client: TestClient, keys: Keys, method: str, path: str
) -> None:
    revoked = keys.make()
    assert cli(["keys", "revoke", revoked.split("_")[1]]) == 0
    for key in (None, "", "not-a-key", keys.acme[:-1] + "x", keys.acme + "x", revoked):
        answer = client.request(
            method,
            path.replace("{", "").replace("}", ""),
            headers=bearer(key) if key is not None else {},
            json={},
        )
        assert answer.status_code == 401, (key, answer.text)
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert answer.json() == {"detail": "missing or invalid API key"}
    basic = client.request(method, path, headers={"Authorization": "Basic YTpi"})
    assert basic.status_code == 401


@pytest.mark.parametrize(("route", "scope"), sorted(SCOPE.items()))
def test_a_key_without_the_routes_scope_is_403(
    client: TestClient, keys: Keys, route: tuple[str, str], scope: Scope
) -> None:
    verb, path = route
    others = keys.make(scopes=ALL - {scope})
    answer = client.request(verb, path, headers=bearer(others), json={})
    assert answer.status_code == 403
    assert answer.json()["detail"] == f"this key lacks the {scope.value!r} scope"
    only = keys.make(scopes=frozenset({scope}))
    assert call(client, verb, path, only) not in (401, 403)


def test_health_and_readiness_stay_open(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_metrics_can_be_made_public(gateway: GatewayFactory) -> None:
    assert gateway(METRICS_PUBLIC="true").get("/metrics").status_code == 200


def test_docs_are_public_admin_or_off(gateway: GatewayFactory, keys: Keys) -> None:
    public = gateway()
    assert public.get("/openapi.json").status_code == 200
    assert public.get("/docs").status_code == 200
    admin = gateway(API_DOCS="admin")
    assert admin.get("/openapi.json").status_code == 401
    assert (
        admin.get(
            "/openapi.json", headers=bearer(keys.make(scopes=ALL - {Scope.ADMIN}))
        ).status_code
        == 403
    )
    schema = admin.get("/openapi.json", headers=bearer(keys.acme))
    assert schema.status_code == 200
    assert schema.json()["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert admin.get("/docs").status_code == 404
    off = gateway(API_DOCS="off")
    assert off.get("/openapi.json", headers=bearer(keys.acme)).status_code == 404


def test_keys_are_stored_as_hashes_only(keys: Keys, env: dict[str, str]) -> None:
    path = env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(FULL)")
        rows = db.execute("SELECT * FROM api_keys").fetchall()
    dump = repr(rows) + Path(path).read_bytes().decode("latin-1")
    assert len(rows) == 2
    for key in (keys.acme, keys.globex):
        assert key not in dump
        assert key.split("_", 2)[2] not in dump, "not even the secret part"
