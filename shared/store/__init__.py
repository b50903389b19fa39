"""The relational store (SQLAlchemy 2): SQLite by default, PostgreSQL by DATABASE_URL."""

from shared.store.db import Database
from shared.store.models import Base, CandidateRow, SessionRow, SummaryRow, TurnRow

__all__ = ["Base", "CandidateRow", "Database", "SessionRow", "SummaryRow", "TurnRow"]
