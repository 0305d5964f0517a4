"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in Python, UTC in the database.

    SQLite has no time zone type, so every backend stores UTC and every value
    read back is aware (UTC); callers convert to the community's zone for display.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(NAIVE)
        return value.astimezone(UTC).replace(tzinfo=None)

    def driver_processors(self, dialect: Dialect) -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
        """For storage/_prepared.py's driver path: on SQLite, this type's conversion and SQLite DATETIME's
        text format as one function each way (SQLAlchemy chains two, ≈3 µs a value, and a message binds
        about a dozen): the same text written, the same values read (tests/test_prepared.py). None elsewhere."""
        return (_utc_to_text, _text_to_utc) if dialect.name == "sqlite" else None

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite may hand back text for expressions
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAIVE = "naive datetime given to the database; all times must be timezone-aware"


def _utc_to_text(value: datetime | None) -> str | None:
    """process_bind_param, then SQLite DATETIME's "%04d-%02d-%02d %02d:%02d:%02d.%06d"."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(NAIVE)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _text_to_utc(value: str | None) -> datetime | None:
    """SQLite DATETIME's reading (datetime.fromisoformat), then process_result_value."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
