import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import cleanup, isolated_env
from tests.stack import Stack


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services as real processes, isolated by a namespace, for one module."""
    namespace = f"e{uuid.uuid4().hex[:10]}"
    tmp = tmp_path_factory.mktemp(namespace)
    stack = Stack(isolated_env(redis_url, namespace, tmp), tmp)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        cleanup(redis_url, namespace)
