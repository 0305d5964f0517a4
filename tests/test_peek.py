"""PostgreSQL: what keeps psycopg's prepared statements, and a turn's lock waits bounded.

A read outside any turn (`Store.peek`: the directory's version before every message, the next due time)
runs in autocommit. In a transaction, the pool's ROLLBACK when the connection went back made psycopg
deallocate every statement it had prepared on it, so the turns that followed on that connection never ran
a prepared one. What a turn after a peek writes is still one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.repos.state import META_VALUE
from storage.store import Store
from storage.uow import UnitOfWork

pytestmark = pytest.mark.postgres

PREPARED_HERE = text("SELECT count(*) FROM pg_prepared_statements")


def _meta(store: Store, key: str) -> str | None:
    with store.begin() as uow:
        return uow.state.meta(key)


def _warm(store: Store, key: str) -> None:
    """A meta value written, then read in eight turns: psycopg prepares a statement at its fifth run."""
    with store.begin() as uow:
        uow.state.set_meta(key, "1")
    for _ in range(8):
        assert _meta(store, key) == "1"


def _failing_turn(store: Store, key: str) -> None:
    """A turn that writes `key`, then raises (a page's 404, a handler's error)."""

    def turn() -> None:
        with store.begin() as uow:
            uow.state.set_meta(key, "written")
            raise LookupError("no such ticket")

    with pytest.raises(LookupError):
        turn()


def test_a_peek_keeps_the_statements_the_turns_prepared(pg_schema_url: str) -> None:
    store = Store(pg_schema_url)
    try:
        _warm(store, "peeked")
        assert store.peek(META_VALUE, {"key": "peeked"})[0][0] == "1"
        assert store.meta("peeked") == "1"
        with store.begin() as uow:  # (the pool is LIFO: the same connection as the peeks and turns above)
            assert uow.state.meta("peeked") == "1"
            prepared = uow.sql.run(PREPARED_HERE).scalar_one()
        assert prepared >= 1  # 0 when the peek's ROLLBACK had deallocated them
    finally:
        store.dispose()


def test_a_turn_after_a_peek_is_still_one_transaction(pg_schema_url: str) -> None:
    store = Store(pg_schema_url)
    try:
        assert store.meta("after_peek") is None
        _failing_turn(store, "after_peek")
        assert store.meta("after_peek") is None  # rolled back, not committed by an autocommit left behind
        with store.begin() as uow:
            uow.state.set_meta("after_peek", "kept")
        assert store.meta("after_peek") == "kept"
    finally:
        store.dispose()


def test_a_savepoints_rollback_keeps_them_too(pg_schema_url: str) -> None:
    """A refused staff command rolls back to its savepoint. psycopg reads the "ROLLBACK" such a statement
    answers with as a whole transaction's and deallocates what it prepared; the savepoint's rollback goes
    past its cache (storage/_prepared.py: rollback_to), and undoes only what the savepoint wrote."""
    store = Store(pg_schema_url)
    try:
        _warm(store, "kept")

        def refused(uow: UnitOfWork) -> None:
            with uow.savepoint():
                uow.state.set_meta("inner", "undone")
                raise RuntimeError("the command is refused")

        with store.begin() as uow:
            uow.state.set_meta("turn", "written")
            with pytest.raises(RuntimeError):
                refused(uow)
            assert uow.state.meta("kept") == "1"
            prepared = uow.sql.run(PREPARED_HERE).scalar_one()
        assert prepared >= 1  # 0 when psycopg had deallocated them
        assert store.meta("turn") == "written"
        assert store.meta("inner") is None
    finally:
        store.dispose()


def test_a_lock_timeout_fails_a_lock_wait_as_group_commit_recognises(pg_schema_url: str) -> None:
    """Group commit's bound on a batched turn's lock waits (handlers/group_commit.py): past it, the statement
    fails with 55P03, which the batch reads as "handle this message alone"."""
    from handlers.group_commit import LOCK_WAIT, _lock_wait

    store, other = Store(pg_schema_url), Store(pg_schema_url)
    try:

        def bounded_wait() -> None:
            with store.begin() as uow:
                uow.lock_timeout(LOCK_WAIT)
                uow.sql.advisory_lock(7399, "held")

        with other.begin() as holder:
            holder.sql.advisory_lock(7399, "held")
            with pytest.raises(OperationalError) as waited:
                bounded_wait()
        assert _lock_wait(waited.value)
        with store.begin() as uow:  # the lock is free again, and the timeout ended with its transaction
            uow.sql.advisory_lock(7399, "held")
            assert uow.sql.run(text("SHOW lock_timeout")).scalar_one() == "0"
    finally:
        store.dispose()
        other.dispose()


@pytest.mark.parametrize("timeout", ["0s", "0ms", "\u0661\u0660\u0660ms", "100ms'; DROP TABLE meta; --", "1h", ""])
def test_a_lock_timeout_that_is_no_bound_is_refused(timeout: str) -> None:
    from storage._sql import set_lock_timeout

    with pytest.raises(ValueError, match="not a lock timeout"):
        set_lock_timeout(timeout)


def test_a_turn_that_raises_keeps_them_and_writes_nothing(pg_schema_url: str) -> None:
    """A turn that raises (a page's 404, a handler's error) is rolled back past psycopg's cache."""
    store = Store(pg_schema_url)
    try:
        _warm(store, "kept")
        _failing_turn(store, "raised")
        with store.begin() as uow:
            prepared = uow.sql.run(PREPARED_HERE).scalar_one()
            assert uow.state.meta("raised") is None
        assert prepared >= 1  # 0 when psycopg's own rollback had deallocated them
    finally:
        store.dispose()
