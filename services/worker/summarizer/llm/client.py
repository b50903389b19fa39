"""One OpenAI-compatible chat-completions call over HTTP (sync httpx).

Transient failures raise ``LLMUnavailable``; other 4xx raise ``LLMRequestRejected``;
an answer without ``choices[0].message.content`` raises ``MalformedAnswer``.

The answer's shape goes in ``response_format`` (``LLM_RESPONSE_FORMAT``):

* ``json_schema``: ``{"type": "json_schema", "json_schema": {name, strict, schema}}``. A
  server that rejects it (400 or 422) is asked again at once with the schema inside
  ``json_object`` (``{"type": "json_object", "schema": ...}``, as llama-cpp-python's
  server takes it), then with plain ``json_object``; the first that is accepted is kept
  for the client's later calls. A 5xx whose error names ``response_format`` counts as a
  rejection too (llama-cpp-python's server reports its request validation so).
* ``json_object``: ``{"type": "json_object"}``; ``none``: no ``response_format``.
"""

import re
import threading
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import httpx
from pydantic import SecretStr

from services.worker.metrics import llm_request, llm_tokens
from services.worker.settings import ResponseFormat
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
FORMAT_REJECTED = frozenset([400, 422])
"""How servers refuse a ``response_format`` they lack (422: a validating one, as FastAPI)."""
Shape = Literal["json_schema", "json_object_schema", "json_object", "none"]
LADDER: dict[ResponseFormat, list[Shape]] = {
    "json_schema": ["json_schema", "json_object_schema", "json_object"],
    "json_object": ["json_object"],
    "none": ["none"],
}
"""The shapes a setting tries, in order, while the server rejects them."""


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class AnswerSchema:
    """The JSON schema an answer must follow, with the name ``json_schema`` requires."""

    name: str
    schema: dict[str, Any]


class ChatClient:
    """POSTs ``{base_url}/chat/completions``; the HTTP client is made on first use."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: SecretStr | None = None,
        *,
        timeout: float = 60.0,
        response_format: ResponseFormat = "json_schema",
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._key = api_key
        self._timeout = timeout
        self._shapes = LADDER[response_format]
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def complete(
        self, messages: list[Message], max_tokens: int, schema: AnswerSchema | None = None
    ) -> str:
        """The assistant's text for ``messages``, asked to follow ``schema``."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        with llm_request(self.model):
            response = self._answer(body, schema)
            self._check_status(response)
            content = _content(response)
        self._count_tokens(response, messages, content)
        return content

    @property
    def response_format(self) -> Shape:
        """The shape of ``response_format`` the next call with a schema starts with."""
        return self._shapes[0]

    def _answer(self, body: dict[str, Any], schema: AnswerSchema | None) -> httpx.Response:
        """The response to ``body`` in the first shape the server accepts (see the module)."""
        shapes = self._shapes if schema else [s for s in self._shapes if "schema" not in s]
        for tried, shape in enumerate(shapes, start=1):
            body.pop("response_format", None)
            if shape != "none":
                body["response_format"] = _response_format(shape, schema)
            response = self._post(body)
            if not _rejects_format(response) or tried == len(shapes):
                break
            detail = self._detail(response)
            status = response.status_code
            log.warning("llm_response_format_rejected", shape=shape, status=status, detail=detail)
        if tried > 1 and response.status_code < 400:
            self._shapes = self._shapes[self._shapes.index(shape) :]
            log.warning("llm_response_format_fallback", shape=shape)
        return response

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            return self._client().post(self.url, json=body, headers=self._headers())
        except httpx.TimeoutException as exc:
            raise LLMUnavailable(
                f"LLM request timed out after {self._timeout}s ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise LLMUnavailable(f"LLM endpoint unreachable ({type(exc).__name__})") from None

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


def _rejects_format(response: httpx.Response) -> bool:
    """A 400 or 422, or a 5xx whose error names ``response_format`` (llama-cpp-python's
    server answers its own validation error with a 500)."""
    status = response.status_code
    return status in FORMAT_REJECTED or (status >= 500 and "response_format" in response.text)


def _response_format(shape: Shape, schema: AnswerSchema | None) -> dict[str, Any]:
    if schema is not None and shape == "json_schema":
        spec = {"name": schema.name, "strict": True, "schema": schema.schema}
        return {"type": "json_schema", "json_schema": spec}
    if schema is not None and shape == "json_object_schema":
        return {"type": "json_object", "schema": schema.schema}
    return {"type": "json_object"}


def _content(response: httpx.Response) -> str:
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise MalformedAnswer("not a chat-completions response") from None
    if not isinstance(content, str):
        raise MalformedAnswer("the answer has no text content")
    return content
