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
    body, headers, problem = decode_entry({b"task_id": b"t1", b"kind": b"\xffsession"})
    assert headers == {}
    assert problem == "field 'kind' is not UTF-8 (byte 0xff at offset 0)"
    assert body == {"task_id": "t1", "kind": "\\xffsession"}  # what an operator reads


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ('{"data": 1, "headers": {}}', "envelope data is a number, expected a string"),
        ('{"data": "{\\"a\\": 1}", "headers": []}', "envelope headers is an array"),
        ('{"data": "{}", "headers": {"tracestate": true}}',
         "envelope header 'tracestate' is a boolean"),
        ('{"data": "{not json", "headers": {}}', "payload is not a JSON object: "),
    ],
)  # fmt: skip
def test_a_malformed_envelope_says_why(data: str, problem: str) -> None:
    decoded = decode_entry({b"__data__": data.encode()})
    assert decoded.problem is not None
    assert problem in decoded.problem
    assert decoded.headers == {}


def test_envelope_headers_nobody_reads_may_be_any_json() -> None:
    envelope = {"data": '{"task_id": "t1"}', "headers": {"retries": 2, "traceparent": "x"}}
    decoded = decode_entry({b"__data__": json.dumps(envelope).encode()})
    assert decoded == ({"task_id": "t1"}, {"traceparent": "x"}, None)
