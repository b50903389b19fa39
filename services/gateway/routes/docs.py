"""The OpenAPI document behind an admin key (``API_DOCS=admin``)."""

from typing import Any

from fastapi import APIRouter, Request

from services.gateway.auth import AUTH_RESPONSES, Admin

router = APIRouter(tags=["ops"], include_in_schema=False, responses=AUTH_RESPONSES)


@router.get("/openapi.json")
async def openapi(request: Request, _: Admin) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema
