"""The evaluation transcripts and profiles, as the engines see them."""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from contracts.types import Mode, Role
from services.worker.summarizer import SessionSource, Turn

ROOT = Path(__file__).resolve().parents[2] / "tests" / "data" / "eval"
SPLITS = ("dev", "heldout")


@dataclass(frozen=True, slots=True)
class Expected:
    kind: str
    fact: str
    expect: list[list[str]]
    forbid: list[str]


@dataclass(frozen=True, slots=True)
class Session:
    name: str
    source: SessionSource
    facts: list[Expected]
    interviewer_only: list[str]


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    candidate_id: str
    sessions: list[str]
    facts: list[Expected]


def load_sessions(split: str, root: Path = ROOT) -> list[Session]:
    """The split's transcripts, by file name."""
    return [_session(path) for path in sorted((root / split).glob("*.json"))]


def load_profiles(split: str, root: Path = ROOT) -> list[Profile]:
    """The profiles of the split (files named ``<split>-*.json``)."""
    profiles = []
    for path in sorted((root / "profiles").glob(f"{split}-*.json")):
        doc = _read(path)
        if doc.get("split", split) != split:
            continue
        profiles.append(Profile(path.stem, doc["candidate_id"], list(doc["sessions"]), _facts(doc)))
    return profiles


def _session(path: Path) -> Session:
    doc = _read(path)
    occurred = doc.get("occurred_at")
    source = SessionSource(
        session_id=doc["session_id"],
        candidate_id=doc["candidate_id"],
        mode=Mode(doc["mode"]),
        turns=[
            Turn(role=Role(t["role"]), speaker=t.get("speaker", ""), text=t["text"])
            for t in doc["turns"]
        ],
        occurred_at=datetime.fromisoformat(occurred.replace("Z", "+00:00")) if occurred else None,
    )
    return Session(path.stem, source, _facts(doc), list(doc.get("interviewer_only", [])))


def _facts(doc: dict[str, Any]) -> list[Expected]:
    return [
        Expected(f["kind"], f["fact"], [list(g) for g in f["expect"]], list(f.get("forbid", [])))
        for f in doc["facts"]
    ]


def _read(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc
