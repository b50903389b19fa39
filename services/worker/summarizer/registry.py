"""Engines by name: the worker's ``summarizer_engine`` setting picks one."""

from collections.abc import Callable

from services.worker.summarizer.base import Summarizer
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.fake import FakeSummarizer

ENGINES: dict[str, Callable[[], Summarizer]] = {
    "extractive": ExtractiveSummarizer,
    "fake": FakeSummarizer,
}
"""Add an engine here (name -> factory) to make it selectable."""


def build_summarizer(name: str) -> Summarizer:
    """The engine called ``name``; ValueError naming the allowed names otherwise."""
    try:
        factory = ENGINES[name]
    except KeyError:
        allowed = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown summarizer engine {name!r}; expected one of {allowed}") from None
    return factory()
