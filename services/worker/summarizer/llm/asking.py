"""One question to the model, with its answer parsed; a malformed answer is asked again once."""

from collections.abc import Callable
from typing import TypeVar

from services.worker.summarizer.llm import prompts
from services.worker.summarizer.llm.client import ChatClient, Message
from services.worker.summarizer.llm.errors import LLMAnswerInvalid, MalformedAnswer
from shared.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")


class Asker:
    """Sends the system prompt and one user message; parses the answer with ``parse``."""

    def __init__(self, client: ChatClient, max_tokens: int) -> None:
        self.client = client
        self.max_tokens = max_tokens

    def __call__(self, user: str, parse: Callable[[str], T]) -> T:
        messages: list[Message] = [
            {"role": "system", "content": prompts.text("system")},
            {"role": "user", "content": user},
        ]
        try:
            return parse(self.client.complete(messages, self.max_tokens))
        except MalformedAnswer as first:
            log.warning("llm_answer_malformed", error=str(first), attempt=1)
            retry: Message = {"role": "user", "content": prompts.retry_note(str(first))}
            try:
                return parse(self.client.complete([*messages, retry], self.max_tokens))
            except MalformedAnswer as second:
                log.warning("llm_answer_malformed", error=str(second), attempt=2)
                raise LLMAnswerInvalid(f"LLM answer could not be parsed: {second}") from None
