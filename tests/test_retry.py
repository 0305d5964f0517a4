"""storage/retry.py: an outage is waited out; a schema mismatch is not mistaken for one."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from storage.retry import transient, wait_for_db


def _error(text: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception(text))


async def test_an_outage_is_waited_out_with_one_line_each_way(caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _error("connection refused")
        return "stored"

    with caplog.at_level(logging.WARNING, logger="gridbot.database"):
        assert await wait_for_db(flaky, "message 7", first_delay=0.001) == "stored"
    assert len(calls) == 3
    assert [r.getMessage().split(" (")[0].split(" after")[0] for r in caplog.records] == [
        "database unavailable during message 7",
        "database reachable again",
    ]


async def test_a_missing_table_is_raised_at_once_not_retried_forever() -> None:
    calls = []

    async def wrong_schema() -> None:
        calls.append(1)
        raise _error("no such table: standins")

    with pytest.raises(OperationalError, match="no such table: standins"):
        await wait_for_db(wrong_schema, "message 8", first_delay=0.001)
    assert calls == [1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("database is locked", True),
        ("server closed the connection unexpectedly", True),
        ("no such column: tickets.verifier_id", False),
        ("table outbox has no column named owner", False),
        # a statement SQLite cannot compile: it waited ten minutes on one, as if the database were away
        ("ambiguous column name: sender_id", False),
        ('near "RETURNING": syntax error', False),
    ],
)
def test_which_errors_count_as_an_outage(text: str, expected: bool) -> None:
    assert transient(_error(text)) is expected
    assert transient(ValueError(text)) is False
