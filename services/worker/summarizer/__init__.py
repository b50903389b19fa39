"""Summarization engines behind one small interface (``Summarizer``)."""

from services.worker.summarizer.base import (
    NothingToSummarize,
    SessionSource,
    SessionWithSummary,
    Summarizer,
    Turn,
)

__all__ = ["NothingToSummarize", "SessionSource", "SessionWithSummary", "Summarizer", "Turn"]
