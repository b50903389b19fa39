"""The interview transcripts in ``tests/data/transcripts`` and how to turn one into a source."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from contracts.types import DEFAULT_TENANT, Mode, Role
from services.worker.summarizer import SessionSource, Turn
from shared.store import Database
from shared.store import repository as repo

TRANSCRIPTS = Path(__file__).parent / "data" / "transcripts"


def load_transcripts() -> list[dict[str, Any]]:
    """Every transcript, sorted by file name, with its ``slug`` (the file stem) added."""
    docs = []
    for path in sorted(TRANSCRIPTS.glob("*.json")):
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        doc["slug"] = path.stem
        docs.append(doc)
    return docs


def to_source(doc: dict[str, Any], mode: Mode | None = None) -> SessionSource:
    """The transcript as the summarizer sees it, in its own mode unless ``mode`` is given."""
    occurred = doc.get("occurred_at")
    return SessionSource(
        session_id=doc["session_id"],
        candidate_id=doc["candidate_id"],
        mode=mode or Mode(doc["mode"]),
        turns=[
            Turn(role=Role(t["role"]), speaker=t["speaker"], text=t["text"]) for t in doc["turns"]
        ],
        occurred_at=datetime.fromisoformat(occurred) if occurred else None,
    )


def store_transcript(db: Database, doc: dict[str, Any], dated: bool = False) -> None:
    """Store a transcript (or a demo session) as a session, as ``POST /sessions`` would
    (undated unless ``dated``; the same content again is a no-op)."""
    occurred = doc.get("occurred_at") if dated else None
    with db.session() as session:
        repo.create_session(
            session,
            tenant=DEFAULT_TENANT,
            session_id=doc["session_id"],
            candidate_id=doc["candidate_id"],
            candidate_name=doc.get("candidate_name"),
            mode=doc["mode"],
            title=doc.get("title"),
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
            turns=[(t["role"], t.get("speaker", ""), t["text"]) for t in doc["turns"]],
        )
