"""Schemathesis over the gateway's OpenAPI document, against a real gateway process with
an API key: no server error, and every answer is documented and matches its schema."""

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import cleanup, isolated_env
from tests.stack import Stack

pytestmark = pytest.mark.e2e

EXAMPLES = 25
"""Per operation: a few seconds in all, enough to walk the bodies' shapes and the ids."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,  # the same request without the key must be refused
]


@pytest.fixture(scope="module")
def gateway(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    namespace = f"f{uuid.uuid4().hex[:10]}"
    directory = tmp_path_factory.mktemp(namespace)
    stack = Stack(isolated_env(redis_url, namespace, directory), directory)
    try:
        stack.start("gateway")
        yield stack
    finally:
        stack.stop()
        cleanup(redis_url, namespace)


def test_every_operation_answers_as_documented(gateway: Stack) -> None:
    schema = schemathesis.openapi.from_url(f"{gateway.url}/openapi.json")
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same examples every run
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=gateway.url, headers=gateway.auth, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
