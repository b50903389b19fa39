"""Every background service answers /healthz, /readyz and /metrics on its ops port."""

import pytest

from tests.stack import Stack, wait_for

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", ["dispatcher", "worker", "projector"])
def test_ops_endpoints(stack: Stack, name: str) -> None:
    wait_for(lambda: _ready(stack, name), 20, f"{name} /readyz")
    assert stack.ops(name, "/healthz").json()["status"] == "ok"
    ready = stack.ops(name, "/readyz").json()
    assert set(ready["checks"].values()) == {"ok"}
    assert stack.ops(name, "/metrics").status_code == 200


def _ready(stack: Stack, name: str) -> bool:
    try:
        return stack.ops(name).status_code == 200
    except Exception:
        return False
