"""The gateway in-process (TestClient) on a real Redis and store, with keys of two tenants."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.api_keys import Scope
from tests.stack import bearer, make_key

ALL = frozenset(Scope)


@pytest.fixture
def env(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    return stack_env


@dataclass
class Keys:
    """Keys of tenant ``acme`` (every scope, and each scope alone) and ``globex``."""

    database_url: str
    acme: str
    globex: str

    def make(self, tenant: str = "acme", scopes: frozenset[Scope] = ALL, **options: object) -> str:
        return make_key(self.database_url, tenant, scopes, **options)  # type: ignore[arg-type]


@pytest.fixture
def keys(env: dict[str, str]) -> Keys:
    url = env["DATABASE_URL"]
    return Keys(url, make_key(url, "acme"), make_key(url, "globex"))


GatewayFactory = Callable[..., TestClient]


@pytest.fixture
def gateway(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayFactory]:
    """``gateway(KEY=value, ...)``: a running gateway app with those settings."""
    clients: list[TestClient] = []

    def start(**settings: str) -> TestClient:
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        client = TestClient(create_app(GatewaySettings()))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(gateway: GatewayFactory) -> TestClient:
    return gateway()


__all__ = ["ALL", "GatewayFactory", "Keys", "bearer"]
