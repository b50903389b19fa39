"""Engines by name: the worker's ``summarizer_engine`` setting picks one."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from services.worker.summarizer.base import Summarizer
from services.worker.summarizer.extractive import ExtractiveSummarizer
from services.worker.summarizer.fake import FakeSummarizer

if TYPE_CHECKING:
    from services.worker.settings import WorkerSettings


def _llm(settings: "WorkerSettings") -> Summarizer:
    from services.worker.summarizer.llm import LLMSummarizer

    return LLMSummarizer.from_settings(settings)


ENGINES: dict[str, Callable[["WorkerSettings"], Summarizer]] = {
    "extractive": lambda _: ExtractiveSummarizer(),
    "fake": lambda _: FakeSummarizer(),
    "llm": _llm,
}
"""Add an engine here (name -> factory taking the worker's settings) to make it selectable."""


def build_summarizer(name: str, settings: "WorkerSettings | None" = None) -> Summarizer:
    """The engine called ``name``; ValueError naming the allowed names otherwise."""
    try:
        factory = ENGINES[name]
    except KeyError:
        allowed = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown summarizer engine {name!r}; expected one of {allowed}") from None
    if settings is None:
        from services.worker.settings import WorkerSettings

        settings = WorkerSettings()
    return factory(settings)
