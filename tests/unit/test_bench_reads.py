"""The benchmark's read load generator against a tiny local HTTP/1.1 server."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from bench.measure import stats
from bench.reads import read_load
from bench.scenarios import client_lagged


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """Keep-alive HTTP/1.1: 200 for /ok/..., 500 for anything else."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                path = head.split(b" ", 2)[1]
                body = b'{"status":"SUCCESS"}' if path.startswith(b"/ok/") else b"no"
                status = b"200 OK" if path.startswith(b"/ok/") else b"500 Internal Server Error"
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body
                )  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.close()
        await srv.wait_closed()


async def test_open_loop_keeps_its_rate(server: str) -> None:
    load = await read_load(server, ["/ok/1", "/ok/2"], 200, 0.5, 4, request_timeout=5)
    assert load.issued == 100
    assert len(load.latencies_ms) == 100
    assert load.errors == 0
    assert 150 < load.issued_per_s < 250


async def test_closed_loop_and_errors_are_counted(server: str) -> None:
    load = await read_load(server, ["/ok/1", "/bad"], 0, 0.3, 2, request_timeout=5)
    assert load.issued > 10
    assert load.errors > 0
    assert "HTTP 500" in load.first_error
    assert not client_lagged(load, 0)  # a closed loop has no schedule to miss
    assert len(load.latencies_ms) + load.errors == load.issued


def test_stats_percentiles() -> None:
    figures = stats([float(v) for v in range(1, 101)])
    assert figures == {"p50": 51.0, "p95": 96.0, "p99": 100.0, "max": 100.0}
    assert stats([]) == {}
