"""Authentication, scopes and the per-key rate limit: one dependency per route.

``Authorization: Bearer <key>``; no key or an unknown one is 401 (``WWW-Authenticate:
Bearer``), a key without the route's scope 403, an empty bucket 429 with ``Retry-After``.
With ``TRUST_CALLER_HEADER`` (a trusted network that authenticates callers itself), a
request without a key acts as the tenant named in ``X-Caller-Id``, with submit and read.
"""

import math
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from sqlalchemy.exc import SQLAlchemyError

from services.gateway.deps import GatewayDep
from services.gateway.keys import Caller
from shared.api_keys import TENANT_PATTERN, Scope

bearer = HTTPBearer(
    auto_error=False, description="An API key: `summarization keys create` makes one."
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

CALLER_HEADER = "x-caller-id"
HEADER_SCOPES = frozenset({Scope.SUBMIT, Scope.READ})


def _unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "missing or invalid API key",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def authenticate(
    security_scopes: SecurityScopes, request: Request, gateway: GatewayDep, credentials: Credentials
) -> Caller:
    """The caller, once its key, scope and rate are checked."""
    try:
        caller = await gateway.keys.lookup(credentials.credentials) if credentials else None
    except SQLAlchemyError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the key store is unavailable; retry later",
            headers={"Retry-After": str(gateway.settings.retry_after_seconds)},
        ) from None
    if caller is None and credentials is None and gateway.settings.trust_caller_header:
        caller = _header_caller(request, gateway)
    if caller is None:
        raise _unauthorized()
    missing = [s for s in security_scopes.scopes if s not in caller.scopes]
    if missing:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"this key lacks the {missing[0]!r} scope",
            headers={
                "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{missing[0]}"'
            },
        )
    wait = await gateway.buckets.take(caller.key_id, caller.rate_per_second, caller.burst)
    if wait > 0:
        retry_after = max(1, math.ceil(wait))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"rate limit of this key exceeded; retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
    return caller


def _header_caller(request: Request, gateway: GatewayDep) -> Caller | None:
    tenant = request.headers.get(CALLER_HEADER, "")
    if not TENANT_PATTERN.match(tenant):
        return None
    settings = gateway.settings
    return Caller(
        tenant=tenant,
        scopes=HEADER_SCOPES,
        key_id=f"header.{tenant}",
        rate_per_second=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
    )


Submitter = Annotated[Caller, Security(authenticate, scopes=[Scope.SUBMIT.value])]
Reader = Annotated[Caller, Security(authenticate, scopes=[Scope.READ.value])]
Admin = Annotated[Caller, Security(authenticate, scopes=[Scope.ADMIN.value])]

AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No API key, or not an active one"},
    403: {"description": "The key lacks this route's scope"},
    429: {"description": "The key's rate limit; retry after Retry-After seconds"},
    431: {"description": "Over MAX_HEADER_COUNT headers or MAX_HEADER_BYTES of them"},
    503: {"description": "The key store is unavailable; retry after Retry-After seconds"},
}
