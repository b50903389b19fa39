"""Keep secrets out of logs: passwords in URLs, bearer/API keys, this system's own keys."""

import re

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"'=:\s]+)[A-Za-z0-9._\-]{8,}")
_OUR_KEY = re.compile(r"(summ_[0-9a-f]{12}_)[A-Za-z0-9_-]+")
"""``shared.api_keys`` tokens: the key id stays readable, the secret goes."""


def redact_text(text: str) -> str:
    """``text`` with URL passwords and API keys replaced by ``***``."""
    if "://" in text:
        text = _URL_PASSWORD.sub(r"\g<scheme>\g<user>:***@", text)
    if "summ_" in text:
        text = _OUR_KEY.sub(r"\1***", text)
    if "earer" in text or "pi" in text:
        text = _BEARER.sub(r"\1***", text)
    return text
