import random

import pytest
from pydantic import ValidationError

from services.dispatcher.settings import DispatcherSettings
from services.worker.retry import backoff_delay
from services.worker.settings import WorkerSettings
from shared.settings import CommonSettings


def test_default_backoff_is_the_guides_60_120_240() -> None:
    assert [backoff_delay(n, 60, 3600) for n in range(3)] == [60, 120, 240]


def test_backoff_is_capped_and_jitter_only_adds() -> None:
    rand = random.Random(7)
    delays = [backoff_delay(n, 1, 10, jitter=0.5, rand=rand) for n in range(8)]
    assert all(2**n <= d <= min(10, 1.5 * 2**n) for n, d in enumerate(delays[:3]))
    assert max(delays) <= 10


def test_celery_urls_default_to_redis_url_db_and_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://cache:6380/4")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    settings = CommonSettings()
    assert settings.celery_broker_url == "redis://cache:6380/4"
    assert settings.celery_result_backend == "redis://cache:6380/5"


def test_bad_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "http://nope")
    with pytest.raises(ValidationError, match="REDIS_URL must be a redis:// URL"):
        CommonSettings()
    monkeypatch.setenv("REDIS_URL", "redis://localhost")
    monkeypatch.setenv("TASK_TIME_LIMIT", "3000")
    with pytest.raises(ValidationError, match=r"TASK_TIME_LIMIT \(3000 s\) must stay below"):
        CommonSettings()


def test_no_limit_or_retry_countdown_reaches_the_visibility_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past BROKER_VISIBILITY_TIMEOUT Redis hands an unacknowledged task to a second worker:
    a soft or hard time limit, or a retry's countdown plus its run, must end before."""
    for name in ("RETRY_BACKOFF_MAX", "TASK_SOFT_TIME_LIMIT", "TASK_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("BROKER_VISIBILITY_TIMEOUT", raising=False)
    WorkerSettings()  # the defaults agree
    monkeypatch.setenv("RETRY_BACKOFF_MAX", "3600")
    with pytest.raises(
        ValidationError,
        match=r"RETRY_BACKOFF_MAX \(3600 s\) \+ TASK_TIME_LIMIT \(1800 s\) must stay below"
        r" BROKER_VISIBILITY_TIMEOUT \(2400 s\)",
    ):
        WorkerSettings()
    monkeypatch.setenv("RETRY_BACKOFF_MAX", "599")
    WorkerSettings()
    monkeypatch.setenv("BROKER_VISIBILITY_TIMEOUT", "1500")
    with pytest.raises(
        ValidationError,
        match=r"TASK_SOFT_TIME_LIMIT \(1500 s\) must stay below BROKER_VISIBILITY_TIMEOUT",
    ):
        CommonSettings()
    monkeypatch.setenv("BROKER_VISIBILITY_TIMEOUT", "1600")
    with pytest.raises(
        ValidationError, match=r"TASK_TIME_LIMIT \(1800 s\) must stay below BROKER_VISIBILITY"
    ):
        CommonSettings()


def test_redispatch_must_come_before_the_dedupe_record_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEDUPE_TTL_SECONDS", "120")
    with pytest.raises(ValidationError, match="REDISPATCH_INTERVAL must be shorter than DEDUPE"):
        DispatcherSettings()
    monkeypatch.setenv("REDISPATCH_AFTER", "90")  # + 30 s between passes: no pass in time
    with pytest.raises(ValidationError, match="REDISPATCH_INTERVAL must be shorter than DEDUPE"):
        DispatcherSettings()
    monkeypatch.setenv("REDISPATCH_AFTER", "60")
    assert DispatcherSettings().redispatch_after == 60
