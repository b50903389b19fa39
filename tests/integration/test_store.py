"""The store on SQLite and PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.errors import TaskOfAnotherTenant
from shared.store import Database
from shared.store import repository as repo
from shared.store.db import OutdatedStore

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


def store_session(  # type: ignore[no-untyped-def]
    db: Database,
    session_id: str = "s1",
    turns: list[tuple[str, str, str]] = TURNS,
    tenant: str = "acme",
):
    with db.session() as s:
        return repo.create_session(
            s,
            tenant=tenant,
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
        loaded = repo.get_session(s, "acme", "s1")
        assert loaded is not None
        assert [t.text for t in loaded.turns] == [t[2] for t in TURNS]
        assert loaded.word_count == 13
        assert repo.candidate_exists(s, "acme", "c1")


def test_same_session_twice_is_idempotent_other_content_conflicts(db: Database) -> None:
    store_session(db)
    _, created = store_session(db)
    assert not created
    with pytest.raises(repo.SessionConflict):
        store_session(db, turns=[("candidate", "Ada", "Something else.")])


def test_summary_is_written_once_per_task(db: Database) -> None:
    values = {
        "task_id": "t1",
        "tenant": "acme",
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
        latest = repo.latest_session_summary(s, "acme", "s1", "h")
        assert latest is not None
        assert latest.task_id == "t1"
        assert repo.latest_session_summary(s, "globex", "s1", "h") is None
    with db.session() as s, pytest.raises(TaskOfAnotherTenant):
        repo.save_summary(s, **{**values, "tenant": "globex"}, payload="{}")
    with db.session() as s, pytest.raises(TaskOfAnotherTenant):
        repo.summary_for_task(s, "globex", "t1")


def test_tenants_own_their_ids(db: Database) -> None:
    """The same session and candidate ids in two tenants are two sessions and two
    candidates: neither reads, conflicts with nor joins the other's."""
    store_session(db, tenant="acme")
    _, created = store_session(db, turns=[("candidate", "Bo", "Other text.")], tenant="globex")
    assert created, "no conflict with the other tenant's session of the same id"
    store_session(db, session_id="s2", tenant="globex")
    with db.session() as s:
        acme = repo.get_session(s, "acme", "s1")
        globex = repo.get_session(s, "globex", "s1")
        assert acme is not None
        assert globex is not None
        assert [t.text for t in globex.turns] == ["Other text."]
        assert [r.id for r in repo.candidate_sessions(s, "acme", "c1")] == ["s1"]
        assert [r.id for r in repo.candidate_sessions(s, "globex", "c1")] == ["s1", "s2"]
        assert repo.get_session(s, "acme", "s2") is None
        assert not repo.candidate_exists(s, "initech", "c1")


def test_a_store_made_before_tenancy_is_refused_with_what_to_do(tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE sessions (id VARCHAR(128) PRIMARY KEY, candidate_id TEXT)")
    database = Database(f"sqlite:///{path}")
    with pytest.raises(OutdatedStore, match=r"'sessions' table has no .*tenant.*delete"):
        database.create_schema()
    database.dispose()


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
            tenant="acme",
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
        loaded = repo.get_session(s, "acme", "s-tz")
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
