"""PostgreSQL: a read outside any turn (`Store.peek`: the directory's version before every message, the
next due time) runs in autocommit. In a transaction, the pool's ROLLBACK when the connection went back
made psycopg deallocate every statement it had prepared on it, so the turns that followed on that
connection never ran a prepared one. What a turn after a peek writes is still one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.repos.state import META_VALUE
from storage.store import Store

pytestmark = pytest.mark.postgres

PREPARED_HERE = text("SELECT count(*) FROM pg_prepared_statements")


def _meta(store: Store, key: str) -> str | None:
    with store.begin() as uow:
        return uow.state.meta(key)


def test_a_peek_keeps_the_statements_the_turns_prepared(pg_schema_url: str) -> None:
    store = Store(pg_schema_url)
    try:
        with store.begin() as uow:
            uow.state.set_meta("peeked", "1")
        for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
            assert _meta(store, "peeked") == "1"
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

        def failing_turn() -> None:
            with store.begin() as uow:
                uow.state.set_meta("after_peek", "written")
                raise RuntimeError("the turn fails after its write")

        with pytest.raises(RuntimeError):
            failing_turn()
        assert store.meta("after_peek") is None  # rolled back, not committed by an autocommit left behind
        with store.begin() as uow:
            uow.state.set_meta("after_peek", "kept")
        assert store.meta("after_peek") == "kept"
    finally:
        store.dispose()
