"""The dispatcher's Celery sends, read back from the broker's queue (a real Redis)."""

import base64
import json

import pytest
import redis
from opentelemetry.context import Context

from contracts.events import SummarizationRequested
from services.dispatcher.sender import CelerySender
from services.dispatcher.settings import DispatcherSettings
from shared.celery_app import make_celery

SECRET = "my salary at Initech was 91,000"


async def test_a_task_carries_the_transcript_but_shows_only_ids(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in stack_env.items():
        monkeypatch.setenv(key, value)
    settings = DispatcherSettings()
    sender = CelerySender(make_celery(settings, results=False, sent_events=False), settings.queues)
    event = SummarizationRequested(
        task_id="t-1",
        kind="session",
        candidate_id="c-1",
        session_id="s-1",
        transcript=[{"role": "candidate", "speaker": "Ada", "text": SECRET}],
    )

    await sender.send_many([(event, Context())])

    client = redis.Redis.from_url(settings.celery_broker_url)
    [raw] = client.lrange(f"{settings.celery_key_prefix}{settings.queue_session}", 0, -1)
    message = json.loads(raw)
    headers = message["headers"]
    assert headers["id"] == "t-1"
    assert headers["task"] == "summarization.summarize_session"
    assert headers["ignore_result"] is True  # the outcome travels on the lifecycle stream
    assert "s-1" in headers["kwargsrepr"]
    assert "<1 turns>" in headers["kwargsrepr"]
    assert SECRET not in json.dumps(headers)  # not in Celery's logs, not in Flower
    _, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert kwargs["transcript"][0]["text"] == SECRET  # the task itself gets it all
