"""One OpenAI-compatible chat-completions call over HTTP (sync httpx).

Transient failures raise ``LLMUnavailable``; other 4xx raise ``LLMRequestRejected``;
an answer without ``choices[0].message.content`` raises ``MalformedAnswer``.
"""

import re
import threading
from typing import Any, Literal, TypedDict

import httpx
from pydantic import SecretStr

from services.worker.metrics import llm_request, llm_tokens
from services.worker.summarizer.llm.chunking import estimate_tokens
from services.worker.summarizer.llm.errors import (
    LLMRequestRejected,
    LLMUnavailable,
    MalformedAnswer,
)
from shared.logging import get_logger
from shared.redaction import redact_text

log = get_logger(__name__)

DETAIL_CHARS = 200
_KEYLIKE = re.compile(r"\b(sk-|key-)[A-Za-z0-9*._\-]+")


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatClient:
    """POSTs ``{base_url}/chat/completions``; the HTTP client is made on first use."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: SecretStr | None = None,
        *,
        timeout: float = 60.0,
        json_mode: bool = True,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._key = api_key
        self._timeout = timeout
        self._json_mode = json_mode
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def complete(self, messages: list[Message], max_tokens: int) -> str:
        """The assistant's text for ``messages``."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        if self._json_mode:
            body["response_format"] = {"type": "json_object"}
        with llm_request(self.model):
            try:
                response = self._client().post(self.url, json=body, headers=self._headers())
            except httpx.TimeoutException as exc:
                raise LLMUnavailable(
                    f"LLM request timed out after {self._timeout}s ({type(exc).__name__})"
                ) from None
            except httpx.TransportError as exc:
                raise LLMUnavailable(f"LLM endpoint unreachable ({type(exc).__name__})") from None
            self._check_status(response)
            content = _content(response)
        self._count_tokens(response, messages, content)
        return content

    def _count_tokens(self, response: httpx.Response, messages: list[Message], answer: str) -> None:
        """The server's ``usage`` when it sends one, else the project's estimate."""
        usage = response.json().get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int):
            completion = usage.get("completion_tokens")
            completion = completion if isinstance(completion, int) else 0
            llm_tokens(self.model, usage["prompt_tokens"], completion, reported=True)
            return
        prompt = sum(estimate_tokens(m["content"]) for m in messages)
        llm_tokens(self.model, prompt, estimate_tokens(answer), reported=False)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(timeout=self._timeout)
            return self._http

    def _headers(self) -> dict[str, str]:
        if self._key is None or not self._key.get_secret_value():
            return {}
        return {"Authorization": f"Bearer {self._key.get_secret_value()}"}

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        retry_after = response.headers.get("retry-after")
        if status == 429 or status >= 500:
            if retry_after:
                log.warning("llm_retry_after", status=status, retry_after=retry_after)
            hint = f"; Retry-After: {retry_after}" if retry_after else ""
            what = "is rate limiting" if status == 429 else "failed"
            raise LLMUnavailable(f"LLM endpoint {what} (HTTP {status}{hint})")
        if status in (401, 403):
            raise LLMRequestRejected(
                f"LLM endpoint refused the credentials (HTTP {status}); check LLM_API_KEY"
            )
        raise LLMRequestRejected(
            f"LLM endpoint rejected the request (HTTP {status}): {self._detail(response)}"
        )

    def _detail(self, response: httpx.Response) -> str:
        """The error message of a 4xx body, cut short, with anything key-like masked."""
        try:
            error = response.json().get("error")
            text = str(error.get("message") if isinstance(error, dict) else error)
        except (ValueError, AttributeError):
            text = response.text
        if self._key is not None and self._key.get_secret_value():
            text = text.replace(self._key.get_secret_value(), "***")
        text = _KEYLIKE.sub(r"\1***", redact_text(" ".join(text.split())))
        return text[:DETAIL_CHARS] or "no detail"


def _content(response: httpx.Response) -> str:
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise MalformedAnswer("not a chat-completions response") from None
    if not isinstance(content, str):
        raise MalformedAnswer("the answer has no text content")
    return content
