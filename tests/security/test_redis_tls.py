"""rediss:// end to end: every client (redis-py, FastStream, Celery's broker and result
backend) verifies the server with the settings' CA; settings refuse TLS they cannot honour."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.cli.demo import demo_sessions
from shared.celery_app import make_celery
from shared.redis_client import sync_redis
from shared.settings import CommonSettings
from tests.conftest import isolated_env
from tests.redis_servers import Certificates, make_certificates, redis_server, tls_server_binary
from tests.stack import Stack, wait_for


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_url(certificates: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("tls-redis")
    with redis_server(directory, binary=tls_server_binary(), tls=certificates) as port:
        yield f"rediss://127.0.0.1:{port}/0"


def settings(**values: object) -> CommonSettings:
    return CommonSettings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_whole_pipeline_runs_over_tls(
    tls_url: str, certificates: Certificates, tmp_path: Path
) -> None:
    env = {
        **isolated_env(tls_url, f"tls{uuid.uuid4().hex[:8]}", tmp_path),
        "REDIS_TLS_CA_FILE": str(certificates.ca),
        "SUMMARIZER_ENGINE": "fake",
    }
    stack = Stack(env, tmp_path)
    try:
        stack.start()
        with stack.client() as api:
            session = demo_sessions()[0]
            api.post("/sessions", json=session).raise_for_status()
            body = {"session_id": session["session_id"], "candidate_id": session["candidate_id"]}
            task_id = api.post("/summarization/summarize-session", json=body).json()["task_id"]

            def finished() -> bool:
                status = api.get(f"/summarization/task-status/{task_id}").json()["status"]
                return status == "SUCCESS"

            wait_for(finished, 60, "the task, over TLS", every=0.1)
        assert stack.ops("projector").status_code == 200
        assert stack.ops("worker").status_code in (200, 503)
    finally:
        stack.stop()


def test_without_the_ca_every_client_refuses_the_server(tls_url: str) -> None:
    """No client falls back to an unverified connection (kombu would, left to itself)."""
    untrusted = settings(redis_url=tls_url)
    with pytest.raises(Exception, match="certificate verify failed"):
        sync_redis(tls_url, untrusted.redis_tls).ping()
    celery = make_celery(untrusted)
    with (
        pytest.raises(Exception, match="certificate verify failed"),
        celery.connection_for_write() as connection,
    ):
        connection.ensure_connection(max_retries=1)
    with pytest.raises(Exception, match="certificate verify failed"):
        celery.backend.client.ping()


def test_with_the_ca_celery_and_redis_py_connect(tls_url: str, certificates: Certificates) -> None:
    trusted = settings(redis_url=tls_url, redis_tls_ca_file=str(certificates.ca))
    assert sync_redis(tls_url, trusted.redis_tls).ping()
    celery = make_celery(trusted)
    with celery.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    assert celery.backend.client.ping()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"redis_url": "rediss://h/0?ssl_cert_reqs=none"}, "REDIS_URL: TLS options go in"),
        (
            {"celery_broker_url": "rediss://h/0?ssl_ca_certs=/x"},
            "CELERY_BROKER_URL: TLS options go in",
        ),
        ({"redis_url": "rediss://h/0", "redis_tls_ca_file": "/nope"}, "REDIS_TLS_CA_FILE: cannot"),
        ({"redis_url": "rediss://h/0", "redis_tls_cert_file": __file__}, "go together"),
        ({"redis_tls_ca_file": __file__}, "no Redis URL is rediss://"),
        ({"redis_tls_verify": False}, "no Redis URL is rediss://"),
        (
            {
                "environment": "production",
                "redis_url": "rediss://:pw@h/0",
                "redis_tls_verify": False,
            },
            "REDIS_TLS_VERIFY=false in production",
        ),
    ],
)
def test_settings_refuse_tls_they_cannot_honour(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**values)
