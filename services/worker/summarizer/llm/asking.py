"""One question to the model, with its answer parsed; a malformed answer is asked again once.

The second request repeats the question with the reason appended to it: one user message,
not a second one after the first, since some chat templates (Gemma's) require the roles
to alternate.
"""

from collections.abc import Callable
from typing import TypeVar

from services.worker.summarizer.llm import prompts
from services.worker.summarizer.llm.client import AnswerSchema, ChatClient, Message
from services.worker.summarizer.llm.errors import LLMAnswerInvalid, MalformedAnswer
from shared.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")


class Asker:
    """Sends the system prompt and one user message; parses the answer with ``parse``."""

    def __init__(self, client: ChatClient, max_tokens: int) -> None:
        self.client = client
        self.max_tokens = max_tokens

    def __call__(self, user: str, parse: Callable[[str], T], schema: AnswerSchema) -> T:
        try:
            return parse(self.client.complete(_messages(user), self.max_tokens, schema))
        except MalformedAnswer as first:
            log.warning("llm_answer_malformed", reason=first.reason, error=str(first), attempt=1)
            again = f"{user}\n\n{prompts.retry_note(str(first))}"
            try:
                return parse(self.client.complete(_messages(again), self.max_tokens, schema))
            except MalformedAnswer as second:
                log.warning(
                    "llm_answer_malformed", reason=second.reason, error=str(second), attempt=2
                )
                raise LLMAnswerInvalid(f"LLM answer {second.verdict}: {second}") from None


def _messages(user: str) -> list[Message]:
    return [
        {"role": "system", "content": prompts.text("system")},
        {"role": "user", "content": user},
    ]
