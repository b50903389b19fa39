"""The optional LLM engine: any OpenAI-compatible chat-completions endpoint.

``client`` makes the HTTP call (``response_format`` from ``schemas``), ``chunking`` fits
text to the context budget as numbered turns, ``session`` and ``profile`` map-reduce
through ``asking`` (one retry of a malformed answer), ``parsing`` and ``grounding`` (the
answer held to its material; ``quotes`` finds a fact's quote in its turn); ``engine``
assembles the contract models. Prompts live in ``prompts/*.txt``.
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
