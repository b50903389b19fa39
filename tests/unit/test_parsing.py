"""The dispatcher's validation of stream entries (no Redis needed)."""

import json

import pytest

from services.dispatcher.parsing import InvalidEvent, parse_request
from shared.envelope import decode_entry

LIMIT = 10_000


def parse(body: object, size: int = 100) -> object:
    return parse_request(body, size, LIMIT)


def test_plain_field_entries_with_json_transcript_are_accepted() -> None:
    body = {
        "task_id": "t1",
        "kind": "session",
        "candidate_id": "c1",
        "session_id": "s1",
        "schema_version": "1",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "transcript": json.dumps([{"role": "candidate", "text": "I lead the platform team."}]),
    }
    event = parse(body)
    assert event.transcript is not None  # type: ignore[attr-defined]
    assert event.transcript[0].text == "I lead the platform team."  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "payload is not a JSON object"),
        ([1, 2], "payload is a JSON list"),
        ({"task_id": "t", "kind": "profile", "candidate_id": "c", "schema_version": 2},
         "unsupported schema_version '2'"),
        ({"task_id": "t", "kind": "meeting", "candidate_id": "c"}, "kind: Input should be"),
        ({"task_id": "t", "kind": "session", "candidate_id": "c"}, "session_id is required"),
        ({"kind": "profile", "candidate_id": "c"}, "task_id: Field required"),
        ({"task_id": "t", "kind": "session", "candidate_id": "c", "session_id": "s",
          "transcript": "[not json"}, "transcript: not valid JSON"),
    ],
)  # fmt: skip
def test_bad_entries_say_why(body: object, reason: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        parse(body)
    assert reason in info.value.reason


def test_oversized_entries_are_refused_before_parsing() -> None:
    with pytest.raises(InvalidEvent, match="event too large: 20000 bytes"):
        parse({"task_id": "t"}, size=20_000)


def test_validation_errors_name_the_field() -> None:
    with pytest.raises(InvalidEvent) as info:
        parse({"task_id": "t", "kind": "session", "candidate_id": "", "session_id": "s"})
    assert info.value.errors[0]["field"] == "candidate_id"


def test_an_entry_that_is_not_utf8_is_invalid_not_an_error() -> None:
    body, headers = decode_entry({b"task_id": b"t1", b"kind": b"\xffsession"})
    assert headers == {}
    assert "\\xffsession" in str(body)  # what an operator reads in the dead letter
    with pytest.raises(InvalidEvent, match="not a JSON object"):
        parse(body)
