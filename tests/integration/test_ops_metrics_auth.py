"""An ops server exposed beyond loopback serves /metrics to an admin key only."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.api_keys import Scope
from shared.ops_auth import AdminKeys, metrics_authorization
from shared.ops_server import OpsServer
from shared.store import Database
from shared.store import api_keys as store


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'keys.db'}")
    database.create_schema()
    yield database
    database.dispose()


def _key(db: Database, scopes: frozenset[Scope]) -> store.NewKey:
    with db.session() as session:
        return store.create_key(session, "ops", scopes)


def test_exposed_metrics_need_an_admin_key(db: Database) -> None:
    admin_key = _key(db, frozenset({Scope.ADMIN}))
    admin, reader = admin_key.token, _key(db, frozenset({Scope.READ, Scope.SUBMIT})).token
    server = OpsServer("t", 0, {}, host="127.0.0.1", metrics_auth=AdminKeys(db, ttl=0)).start()
    url = f"http://127.0.0.1:{server.port}"
    try:

        def metrics(token: str | None) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return httpx.get(f"{url}/metrics", headers=headers)

        allowed = metrics(admin)
        assert allowed.status_code == 200
        assert "# TYPE" in allowed.text
        for token in (None, reader, "summ_000000000000_" + "x" * 43, "not-a-key"):
            refused = metrics(token)
            assert refused.status_code == 401, token
            assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert httpx.get(f"{url}/healthz").status_code == 200  # probes stay open
        with db.session() as session:
            [row] = [
                r
                for r in store.list_keys(session)
                if r.key_hash and Scope.ADMIN in store.scopes_of(r)
            ]
            store.revoke_key(session, row.id)
        assert metrics(admin).status_code == 401  # revoked: no restart needed
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("host", "public", "guarded"),
    [
        ("127.0.0.1", False, False),
        ("::1", False, False),
        ("localhost", False, False),
        ("0.0.0.0", False, True),
        ("10.1.2.3", False, True),
        ("0.0.0.0", True, False),
    ],
)
def test_metrics_are_guarded_when_exposed_unless_made_public(
    host: str, public: bool, guarded: bool, tmp_path: Path
) -> None:
    auth = metrics_authorization(host, public, f"sqlite:///{tmp_path / 'k.db'}", 5.0)
    assert (auth is not None) == guarded
