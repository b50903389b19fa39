"""The optional LLM engine: any OpenAI-compatible chat-completions endpoint.

``client`` makes the HTTP call, ``chunking`` fits text to the context budget, ``session``
and ``profile`` map-reduce through ``asking`` (one retry of a malformed answer) and
``parsing``; ``engine`` assembles the contract models. Prompts live in ``prompts/*.txt``.
"""

from services.worker.summarizer.llm.engine import LLMSummarizer
from services.worker.summarizer.llm.errors import (
    LLMAnswerInvalid,
    LLMRequestRejected,
    LLMUnavailable,
)

__all__ = [
    "LLMAnswerInvalid",
    "LLMRequestRejected",
    "LLMSummarizer",
    "LLMUnavailable",
]
