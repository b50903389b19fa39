"""What can go wrong talking to the model, sorted by whether a retry can help.

``LLMUnavailable`` is a plain exception, so the task's backoff retry applies; the others
are ``PermanentTaskError``s and fail the task at once. No message ever holds the API key.
"""

from shared.errors import PermanentTaskError


class LLMUnavailable(Exception):
    """Timeout, connection failure, 429 or 5xx: worth retrying later."""


class LLMRequestRejected(PermanentTaskError):
    """A 4xx other than 429: the request or the configuration is wrong."""


class LLMAnswerInvalid(PermanentTaskError):
    """The model's answer could not be parsed, or was not grounded, twice in a row."""


class MalformedAnswer(ValueError):
    """One answer that is not the JSON asked for (internal: the engine retries once)."""

    reason = "malformed"
    verdict = "could not be parsed"


class UngroundedAnswer(MalformedAnswer):
    """One answer that says what its material does not: a quote not in the turn it cites,
    a number the material never says, the prompt's own instructions echoed back."""

    reason = "ungrounded"
    verdict = "is not grounded in the transcript"
