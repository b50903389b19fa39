"""A Server-Sent Events reader for tests: the event stream format, as EventSource parses it."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    event: str
    data: str
    id: str

    @property
    def body(self) -> Any:
        return json.loads(self.data)

    @property
    def status(self) -> str:
        return str(self.body["status"])


@dataclass(frozen=True)
class Comment:
    text: str


def read(response: httpx.Response) -> Iterator[Event | Comment]:
    """Each event and comment of an event stream, until it ends."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if data or fields:
                yield Event(fields.get("event", "message"), "\n".join(data), fields.get("id", ""))
            fields, data = {}, []
        elif line.startswith(":"):
            yield Comment(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            else:
                fields[name] = value


def events(response: httpx.Response) -> Iterator[Event]:
    """The events of an event stream, comments left out."""
    for item in read(response):
        if isinstance(item, Event):
            yield item
