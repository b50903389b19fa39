"""The dispatcher's Celery sends, read back from the broker's queue (a real Redis)."""

import base64
import json
from typing import Any

import pytest
import redis
from kombu.exceptions import BatchPublishError  # type: ignore[attr-defined]
from kombu.transport.redis import PublishBatch
from opentelemetry.context import Context
from structlog.testing import capture_logs

from contracts.events import SummarizationRequested
from services.dispatcher.sender import CelerySender, Send
from services.dispatcher.settings import DispatcherSettings
from shared.celery_app import make_celery

SECRET = "my salary at Initech was 91,000"

Sender = tuple[DispatcherSettings, CelerySender]


@pytest.fixture
def sender(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Sender:
    """The dispatcher's sender as it is made in production, under the test's names."""
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    settings = DispatcherSettings()
    app = make_celery(settings, results=False, batch_sends=True)
    return settings, CelerySender(app, settings.queues)


async def test_a_task_carries_the_transcript_but_shows_only_ids(sender: Sender) -> None:
    settings, celery_sender = sender
    event = SummarizationRequested(
        task_id="t-1",
        kind="session",
        candidate_id="c-1",
        session_id="s-1",
        transcript=[{"role": "candidate", "speaker": "Ada", "text": SECRET}],
    )

    await celery_sender.send_many([Send(event, Context())])

    [message] = _queued(settings)
    headers = message["headers"]
    assert headers["id"] == "t-1"
    assert headers["task"] == "summarization.summarize_session"
    assert headers["ignore_result"] is True  # the outcome travels on the lifecycle stream
    assert "s-1" in headers["kwargsrepr"]
    assert "<1 turns>" in headers["kwargsrepr"]
    assert "attempts_before" not in headers, "a first run has no earlier attempts"
    assert SECRET not in json.dumps(headers)  # not in Celery's logs, not in Flower
    _, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert kwargs["transcript"][0]["text"] == SECRET  # the task itself gets it all


def _queued(settings: DispatcherSettings) -> list[dict[str, Any]]:
    """The session queue's messages, in the order a worker takes them (BRPOP)."""
    client = redis.Redis.from_url(settings.celery_broker_url)
    raw = client.lrange(f"{settings.celery_key_prefix}{settings.queue_session}", 0, -1)
    return [json.loads(message) for message in reversed(raw)]  # type: ignore[arg-type]


def _events(n: int) -> list[Send]:
    return [
        Send(
            SummarizationRequested(
                task_id=f"t-{i}", kind="session", candidate_id="c-1", session_id=f"s-{i}"
            ),
            Context(),
        )
        for i in range(n)
    ]


async def test_a_batch_is_queued_whole_and_in_order(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, celery_sender = sender
    flush = PublishBatch.flush
    flushed: list[int] = []

    def counted(self: PublishBatch) -> None:
        flushed.append(self._buffered)
        flush(self)

    monkeypatch.setattr(PublishBatch, "flush", counted)
    await celery_sender.send_many(_events(25))
    assert [m["headers"]["id"] for m in _queued(settings)] == [f"t-{i}" for i in range(25)]
    assert flushed == [25], "one pipeline for the batch"


async def test_a_batch_whose_pipeline_fails_is_sent_again_one_by_one(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which tasks of a failed pipeline reached the queue is unknown: all are sent again
    (a task sent twice runs once), none is lost."""
    settings, celery_sender = sender
    flush = PublishBatch.flush
    failures = []

    def fail_first(self: PublishBatch) -> None:
        if not failures:
            failures.append(1)
            self.discard()
            raise BatchPublishError("Redis publish batch failed; delivery is uncertain")
        flush(self)

    monkeypatch.setattr(PublishBatch, "flush", fail_first)
    with capture_logs() as logs:
        await celery_sender.send_many(_events(3))
    assert failures == [1]
    assert [m["headers"]["id"] for m in _queued(settings)] == ["t-0", "t-1", "t-2"]
    [warning] = [e for e in logs if e["event"] == "batch_send_failed"]
    assert (warning["tasks"], warning["maybe_queued"]) == (3, True)


async def test_a_redriven_task_carries_its_earlier_attempts(sender: Sender) -> None:
    settings, celery_sender = sender
    [send] = _events(1)
    await celery_sender.send_many([send._replace(attempts_before=4)])
    [message] = _queued(settings)
    assert message["headers"]["attempts_before"] == 4
