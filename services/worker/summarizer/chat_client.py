"""An OpenAI-compatible chat-completions client (``POST {LLM_BASE_URL}/chat/completions``).

Timeouts, connection errors, 429 and 5xx raise ``LLMUnavailable`` (transient: the task's
backoff retries it); any other 4xx raises ``LLMRequestRejected`` (permanent). The API key
travels in the Authorization header only, never in an error message or a log line.
"""

from typing import Any

import httpx
from pydantic import SecretStr

from shared.errors import PermanentTaskError
from shared.logging import get_logger
from shared.redaction import redact_text

log = get_logger(__name__)


class LLMUnavailable(RuntimeError):
    """The endpoint did not answer usefully now; a later attempt may succeed."""


class LLMRequestRejected(PermanentTaskError):
    """The endpoint refused the request (a 4xx other than 429)."""


class ChatClient:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: SecretStr | None,
        timeout: float,
        max_tokens: int,
        json_mode: bool = True,
    ) -> None:
        self.model = model
        self._max_tokens = max_tokens
        self._json_mode = json_mode
        self._secret = api_key.get_secret_value() if api_key else ""
        headers = {"Authorization": f"Bearer {self._secret}"} if self._secret else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers=headers)

    def complete(self, prompt: str) -> str:
        """The assistant's answer to one user message ("" when the reply has none)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": self._max_tokens,
            "temperature": 0,
        }
        if self._json_mode:
            body["response_format"] = {"type": "json_object"}
        try:
            response = self._http.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            raise LLMUnavailable("LLM endpoint timed out") from None
        except httpx.TransportError as exc:
            raise LLMUnavailable(f"LLM endpoint unreachable: {type(exc).__name__}") from None
        status = response.status_code
        if status == 429 or status >= 500:
            log.warning(
                "llm_unavailable", status=status, retry_after=response.headers.get("Retry-After")
            )
            raise LLMUnavailable(f"LLM endpoint answered {status}")
        if status >= 400:
            detail = redact_text(response.text[:200])
            if self._secret:  # an endpoint may echo the key back
                detail = detail.replace(self._secret, "***")
            raise LLMRequestRejected(f"LLM endpoint refused the request: {status} {detail}")
        try:
            content: str = response.json()["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            content = ""
        return content
