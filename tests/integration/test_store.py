"""The store on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.store import Database
from shared.store import repository as repo

TURNS = [
    ("interviewer", "Priya", "Tell me about your last project."),
    ("candidate", "Ada", "I migrated our event pipeline to Kafka."),
]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.create_schema()
    yield database
    database.dispose()


def store_session(db: Database, session_id: str = "s1", turns: list[tuple[str, str, str]] = TURNS):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return repo.create_session(
            s,
            session_id=session_id,
            candidate_id="c1",
            candidate_name="Ada",
            mode="SELF_REPORT",
            title=None,
            occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
            turns=turns,
        )


def test_sessions_keep_their_turns_in_order(db: Database) -> None:
    _, created = store_session(db)
    assert created
    with db.session() as s:
        loaded = repo.get_session(s, "s1")
        assert loaded is not None
        assert [t.text for t in loaded.turns] == [t[2] for t in TURNS]
        assert loaded.word_count == 13
        assert repo.candidate_exists(s, "c1")


def test_same_session_twice_is_idempotent_other_content_conflicts(db: Database) -> None:
    store_session(db)
    _, created = store_session(db)
    assert not created
    with pytest.raises(repo.SessionConflict):
        store_session(db, turns=[("candidate", "Ada", "Something else.")])


def test_summary_is_written_once_per_task(db: Database) -> None:
    values = {
        "task_id": "t1",
        "kind": "session",
        "candidate_id": "c1",
        "session_id": "s1",
        "mode": "SELF_REPORT",
        "content_hash": "h",
        "engine": "extractive",
        "engine_version": "1",
    }
    with db.session() as s:
        first = repo.save_summary(s, **values, payload='{"n": 1}')
    with db.session() as s:
        second = repo.save_summary(s, **values, payload='{"n": 2}')
    assert first.payload == second.payload == '{"n": 1}'
    with db.session() as s:
        latest = repo.latest_session_summary(s, "s1", "h")
        assert latest is not None
        assert latest.task_id == "t1"


def _create_schema(url: str, start: Any) -> None:
    database = Database(url)
    start.wait(30)  # every process ready: they create the tables at the same moment
    database.create_schema()
    database.dispose()


def test_processes_racing_to_create_the_schema_all_succeed(database_url: str) -> None:
    """A worker's pool processes and the gateway start together on a new database:
    whoever loses the race to create a table waits for the winner instead of failing
    (a failed start-up once cost the first task a one-minute retry)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(6)
    processes = [
        context.Process(target=_create_schema, args=(database_url, start)) for _ in range(6)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * 6
    database = Database(database_url)
    store_session(database)  # the tables are there and usable
    database.dispose()


def _store_at(db: Database, occurred_at: datetime) -> tuple[Any, bool]:
    with db.session() as s:
        row, created = repo.create_session(
            s,
            session_id="s-tz",
            candidate_id="c1",
            candidate_name="Ada",
            mode="SELF_REPORT",
            title=None,
            occurred_at=occurred_at,
            turns=TURNS,
        )
        return (row.occurred_at, row.created_at), created


def test_instants_keep_their_offset_as_utc(db: Database) -> None:
    plus_five = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=5)))
    (written, _), created = _store_at(db, plus_five)
    assert created
    with db.session() as s:
        loaded = repo.get_session(s, "s-tz")
        assert loaded is not None
        assert loaded.occurred_at == plus_five
        assert loaded.occurred_at is not None
        assert loaded.occurred_at.utcoffset() == timedelta(0)
        assert loaded.created_at.utcoffset() == timedelta(0)
    assert written == plus_five


def test_same_instant_in_another_offset_is_the_same_session(db: Database) -> None:
    _store_at(db, datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=5))))
    _, created = _store_at(db, datetime(2026, 11, 20, 4, 0, tzinfo=UTC))
    assert not created
    with pytest.raises(repo.SessionConflict):
        _store_at(db, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
