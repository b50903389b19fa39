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


def load_demo(gateway_url: str, api_key: str) -> list[str]:
    """POST every demo session (already stored ones answer 200) with ``api_key`` (its
    tenant owns them); return their ids."""
    ids = []
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=gateway_url, timeout=10.0, headers=headers) as client:
        for session in demo_sessions():
            response = client.post("/sessions", json=session)
            response.raise_for_status()
            ids.append(session["session_id"])
    log.info("demo_sessions_loaded", sessions=ids)
    return ids
