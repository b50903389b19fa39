"""ENVIRONMENT=production refuses what would be open: a Redis URL without a password,
public API docs, the default key store, an active development key."""

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.dispatcher.settings import DispatcherSettings
from services.gateway.app import create_app
from services.gateway.keys import KeyStoreRefused
from services.gateway.settings import GatewaySettings
from services.worker.settings import WorkerSettings
from shared.store import Database
from shared.store import api_keys as key_store
from tests.stack import ROOT

SAFE = {
    "environment": "production",
    "redis_url": "redis://gateway:s3cret@redis:6379/0",
    "database_url": "postgresql://gateway:pw@postgres/summarization",
    "api_docs": "admin",
}


def gateway_settings(**values: object) -> GatewaySettings:
    return GatewaySettings(_env_file=None, **{**SAFE, **values})  # type: ignore[arg-type]


def test_production_settings_with_everything_set_are_accepted() -> None:
    settings = gateway_settings()
    assert settings.celery_broker_url == SAFE["redis_url"]
    assert gateway_settings(redis_url="unix:///run/redis.sock?password=pw&db=0")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"redis_url": "redis://redis:6379/0"}, "REDIS_URL has no password"),
        ({"redis_url": "redis://gateway@redis:6379/0"}, "REDIS_URL has no password"),
        ({"celery_broker_url": "redis://redis/0"}, "CELERY_BROKER_URL has no password"),
        ({"celery_result_backend": "redis://redis/1"}, "CELERY_RESULT_BACKEND has no password"),
        ({"api_docs": "public"}, "API_DOCS=public"),
        ({"database_url": ""}, "DATABASE_URL is the default"),
    ],
)
def test_production_refuses(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        gateway_settings(**values)


@pytest.mark.parametrize("settings", [DispatcherSettings, WorkerSettings])
def test_every_service_refuses_a_redis_url_without_a_password(settings: type) -> None:
    with pytest.raises(ValidationError, match="REDIS_URL has no password"):
        settings(_env_file=None, environment="production", redis_url="redis://redis/0")


def test_a_service_process_stops_at_start_naming_the_variable(tmp_path: object) -> None:
    env = {"ENVIRONMENT": "production", "REDIS_URL": "redis://redis:6379/0", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "services.dispatcher"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "REDIS_URL has no password" in done.stderr


def test_the_gateway_refuses_to_start_with_a_development_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    url = f"sqlite:///{tmp_path}/keys.db"
    db = Database(url)
    db.create_schema()
    with db.session() as session:
        made = key_store.create_key(
            session,
            "default",
            frozenset({"read"}),
            development=True,  # type: ignore[arg-type]
        )
    db.dispose()
    app = create_app(gateway_settings(database_url=url))
    with (
        pytest.raises(KeyStoreRefused, match=f"development API key.*{made.row.id}"),
        TestClient(app),
    ):
        pass
