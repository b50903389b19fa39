"""Summarization engines behind one small interface (``Summarizer``)."""

from services.worker.summarizer.base import (
    NothingToSummarize,
    SessionSource,
    SessionWithSummary,
    Summarizer,
    Turn,
)
from services.worker.summarizer.extractive import ExtractiveSummarizer

__all__ = [
    "ExtractiveSummarizer",
    "NothingToSummarize",
    "SessionSource",
    "SessionWithSummary",
    "Summarizer",
    "Turn",
]
