"""Bad events cost nothing but a dead letter each; good events around them go through."""

import json
from typing import Any

import pytest

from tests.faults.conftest import StackFactory
from tests.stack import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(120)]

BIG = "x" * 5000


def envelope(event: dict[str, str], headers: object) -> dict[str, str]:
    return {"__data__": json.dumps({"data": json.dumps(event), "headers": headers})}


def test_malformed_oversized_wrong_version_and_wrong_type_events(
    fault_stack: StackFactory,
) -> None:
    stack, probe = fault_stack(MAX_EVENT_BYTES="4096")
    stream, dlq = probe.env["STREAM_REQUESTED"], probe.env["STREAM_REQUESTED_DLQ"]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"__data__": "{not json"}, "payload is not a JSON object"),
        ({"__data__": json.dumps({"data": "[1, 2]", "headers": {}})}, "payload is a JSON list"),
        ({**probe.event("too-big"), "transcript": json.dumps([{"role": "candidate", "text": BIG}])},
         "event too large"),
        ({**probe.event("v2"), "schema_version": "2"}, "unsupported schema_version '2'"),
        ({**probe.event("wrong-kind"), "kind": "meeting"}, "kind: Input should be"),
        ({**probe.event("wrong-mode"), "mode": "GOSSIP"}, "mode: Input should be"),
        ({"kind": "profile", "candidate_id": "c"}, "task_id: Field required"),
        # entries FastStream's batch parser or the trace context could not read
        (envelope(probe.event("headers-str"), "x"), "envelope headers is a string"),
        (envelope(probe.event("headers-null"), None), "envelope headers is null"),
        (envelope(probe.event("tp-int"), {"traceparent": 123}),
         "envelope header 'traceparent' is a number"),
        ({**probe.event("plain-bytes"), "mode": b"\xffSELF_REPORT"},
         "field 'mode' is not UTF-8"),
        ({"__data__": envelope(probe.event("data-bytes"), {})["__data__"].encode() + b"\xff"},
         "__data__ is not UTF-8"),
    ]  # fmt: skip
    ids: list[str] = []
    for fields, _ in bad:
        ids += probe.send(40)
        probe.r.xadd(stream, fields)  # type: ignore[arg-type]
    ids += probe.send(20)
    probe.wait_terminal(ids, 90, stack)
    wait_for(lambda: probe.r.xlen(dlq) >= len(bad), 20, "every bad event dead-lettered")
    letters = [fields for _, fields in probe.r.xrange(dlq)]
    assert len(letters) == len(bad)
    for (_, reason), letter in zip(bad, letters, strict=True):
        assert reason in letter["reason"], letter
        assert letter["payload"], "the original payload is kept for redrive"
    figures = probe.report("bad events among good ones", ids, f"{len(bad)} dead letters")
    assert probe.statuses(ids)["SUCCESS"] == len(ids)
    assert figures.duplicate_effects == 0
    assert probe.r.xpending(stream, probe.env["CONSUMER_GROUP"])["pending"] == 0
    assert stack.services["dispatcher"].alive
