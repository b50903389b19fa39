"""The relational store (SQLAlchemy 2): SQLite by default, PostgreSQL by DATABASE_URL."""

from shared.store.db import Database
from shared.store.models import ApiKeyRow, Base, CandidateRow, SessionRow, SummaryRow, TurnRow

__all__ = ["ApiKeyRow", "Base", "CandidateRow", "Database", "SessionRow", "SummaryRow", "TurnRow"]
