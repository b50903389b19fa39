"""The API docs pages work without internet: every asset they load is served here."""

import re

import pytest
from fastapi.testclient import TestClient

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings

ASSET = re.compile(r"""(?:href|src|spec-url)="([^"]+)"|url: '([^']+)'""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_assets_the_gateway_serves(page: str) -> None:
    client = TestClient(create_app(GatewaySettings()))  # no lifespan: docs need no Redis
    html = client.get(page)
    assert html.status_code == 200
    assert "://" not in html.text, "an absolute URL: a CDN, unreachable offline"
    assets = [a or b for a, b in ASSET.findall(html.text)]
    assert any(a.endswith(".js") for a in assets), assets
    assert any(a.endswith("openapi.json") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/"), asset
        assert not asset.startswith("//"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content, asset
