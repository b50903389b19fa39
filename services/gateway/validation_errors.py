"""The 422 answer to an invalid body, safe for input that JSON cannot carry.

FastAPI's own handler echoes each error's ``input`` back. Python's JSON parser accepts
``NaN``, ``Infinity``, ``1e999`` (read as infinity) and lone surrogates (``"\\ud800"``),
none of which a strict JSON response can hold: the echo failed and the client got a
500. Here an ``input`` that cannot be encoded is left out, and a field name (in ``loc``)
or message that cannot is written with backslash escapes, so the failing field is
still named.
"""

import json
import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = jsonable_encoder(exc.errors())
    return JSONResponse(status_code=422, content={"detail": [_encodable(e) for e in errors]})


EXCEPTION_HANDLERS: dict[Any, Any] = {RequestValidationError: invalid_request}
"""The gateway app's ``exception_handlers``."""


def _encodable(error: dict[str, Any]) -> dict[str, Any]:
    safe = {key: value for key, value in error.items() if key != "input"}
    if "input" in error and _is_strict_json(error["input"]):
        safe["input"] = error["input"]
    return {key: _escaped(value) for key, value in safe.items()}


def _is_strict_json(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode()
    except (ValueError, TypeError):  # UnicodeEncodeError is a ValueError
        return False
    return True


def _escaped(value: Any) -> Any:
    """``value`` with unencodable strings escaped and non-finite numbers spelled out."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode()
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value
