"""Defaults that let several stacks share a host and a checkout, and keep secrets off
the terminal."""

import io
import sys

import pytest

from services.dispatcher.settings import DispatcherSettings
from services.projector.settings import ProjectorSettings
from services.worker.settings import WorkerSettings
from shared.logging import configure_logging
from shared.ops_server import OpsServer
from shared.settings import CommonSettings


def settings_for(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> CommonSettings:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return CommonSettings()


def test_the_default_store_is_one_sqlite_file_per_redis_and_db(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = {
        "redis://127.0.0.1:6379/0": "sqlite:///var/summarization-127.0.0.1-6379-0.db",
        "redis://127.0.0.1:6379/2": "sqlite:///var/summarization-127.0.0.1-6379-2.db",
        "redis://127.0.0.1:6380": "sqlite:///var/summarization-127.0.0.1-6380-0.db",
        "redis://cache.internal/0": "sqlite:///var/summarization-cache.internal-6379-0.db",
        "rediss://user:pw@[::1]:7000/1": "sqlite:///var/summarization-__1-7000-1.db",
    }
    for url, store in urls.items():
        assert settings_for(monkeypatch, url).database_url == store, url
    sockets = {settings_for(monkeypatch, f"unix:///run/redis.sock?db={n}").database_url
               for n in (0, 1)}  # fmt: skip
    assert len(sockets) == 2
    assert all(s.startswith("sqlite:///var/summarization-unix-") for s in sockets)


def test_the_store_file_name_carries_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    store = settings_for(monkeypatch, "redis://admin:hunter2@cache:6379/0").database_url
    assert "hunter2" not in store
    assert "admin" not in store


def test_an_explicit_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/3")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/summaries")
    assert CommonSettings().database_url == "postgresql://app@db/summaries"


@pytest.mark.parametrize("settings", [DispatcherSettings, WorkerSettings, ProjectorSettings])
def test_ops_servers_listen_on_loopback_unless_ops_host_says_otherwise(
    settings: type[DispatcherSettings | WorkerSettings | ProjectorSettings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPS_HOST", raising=False)
    monkeypatch.setenv("OPS_PORT", "0")
    default = settings()
    assert default.ops_host == "127.0.0.1"
    monkeypatch.setenv("OPS_HOST", "0.0.0.0")
    assert settings().ops_host == "0.0.0.0"
    server = OpsServer("svc", default.ops_port, {}, host=default.ops_host)
    try:
        assert server._server.server_address[0] == "127.0.0.1"
    finally:
        server._server.server_close()  # never served: nothing to shut down


def test_an_ops_server_made_without_a_host_stays_on_loopback() -> None:
    server = OpsServer("svc", 0, {})
    try:
        assert server._server.server_address[0] == "127.0.0.1"
    finally:
        server._server.server_close()  # never served: nothing to shut down


def test_printed_output_masks_passwords_like_the_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """``summarization run`` prints the Redis and store URLs it uses."""
    from services.cli.supervisor import announce, banner

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    configure_logging("cli", "INFO", "json")  # what every command does first
    announce(
        banner(
            {"gateway": "http://127.0.0.1:8000"},
            "redis://default:s3cr3t-pw@cache:6379/0",
            False,
            "postgresql://app:hunter2hunter2@db/summaries",
        )
    )
    print("connecting to redis://:another-pw@10.0.0.1:6379/0", file=sys.stderr)
    text = out.getvalue() + err.getvalue()
    for secret in ("s3cr3t-pw", "hunter2hunter2", "another-pw"):
        assert secret not in text
    assert "redis://default:***@cache:6379/0" in out.getvalue()
