"""Engine and sessions for the store."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from shared.store.models import Base


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class OutdatedStore(RuntimeError):
    """The store's tables predate a column this version needs (no migrations yet)."""


class Database:
    """One engine per process, made at start-up and passed to whoever needs it."""

    def __init__(self, url: str, pool_size: int = 5) -> None:
        url = normalize_url(url)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self, attempts: int = 20) -> None:
        """Create missing tables. Several processes may race to do it at start-up: the
        loser sees "already exists" (or, on PostgreSQL, a duplicate type) until the
        winner's DDL commits, so it tries again."""
        for attempt in range(1, attempts + 1):
            try:
                Base.metadata.create_all(self.engine)
                break
            except (OperationalError, ProgrammingError, IntegrityError):
                if attempt == attempts:
                    raise
                time.sleep(0.05 * attempt)
        self._check_columns()

    def _check_columns(self) -> None:
        """Refuse tables made by an older version (create_all never alters a table)."""
        inspector = inspect(self.engine)
        for table in Base.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            missing = sorted(set(table.columns.keys()) - present)
            if missing:
                raise OutdatedStore(
                    f"the store's {table.name!r} table has no {', '.join(missing)} column:"
                    " it was made by an older version. Move the store aside (SQLite: delete"
                    " the file of DATABASE_URL, e.g. var/summarization.db) or migrate it"
                )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
