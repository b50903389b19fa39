"""Load the demo sessions into a running gateway (``summarization demo``)."""

import json
from importlib import resources
from typing import Any

import httpx

from shared.logging import get_logger

log = get_logger(__name__)


def demo_sessions() -> list[dict[str, Any]]:
    text = resources.files("services.cli").joinpath("demo_sessions.json").read_text()
    sessions: list[dict[str, Any]] = json.loads(text)
    return sessions


def load_demo(gateway_url: str) -> list[str]:
    """POST every demo session (already stored ones answer 200); return their ids."""
    ids = []
    with httpx.Client(base_url=gateway_url, timeout=10.0) as client:
        for session in demo_sessions():
            response = client.post("/sessions", json=session)
            response.raise_for_status()
            ids.append(session["session_id"])
    log.info("demo_sessions_loaded", sessions=ids)
    return ids
