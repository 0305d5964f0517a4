"""Small facts the bot keeps about itself: meta values, once-only notices, and the staff it last knew."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import bindparam, select, update

from storage._sql import META, NOTICES, STAFFING_LOCK, Sql, prepared

META_VALUE = prepared(select(META.c.value).where(META.c.key == bindparam("key")))
# who the database last knew as each grid's worker and area cadre, so a change is noticed at reload and start-up
WORKERS_KEY = "grid_workers"
CADRES_KEY = "grid_area_cadres"  # grid id → area cadre ("" for none), kept apart from the workers' record


class State:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        # the meta keys this unit of work wrote: a batch (handlers/group_commit.py) ends after a turn that
        # moved the directory's version, so the next message is read with the new map and bindings
        self.written: set[str] = set()

    def meta(self, key: str) -> str | None:
        value = self.sql.run(META_VALUE, {"key": key}).scalar_one_or_none()
        return str(value) if value is not None else None

    def set_meta(self, key: str, value: str) -> None:
        self.written.add(key)
        if self.sql.add(META, {"key": key, "value": value}, conflict="key") is None:
            self.sql.run(update(META).where(META.c.key == key).values(value=value))

    def claim_notice(self, key: str, at: datetime) -> bool:
        """True the first time a key is claimed; False ever after (once-only notices)."""
        return self.sql.add(NOTICES, {"key": key, "at": at}, conflict="key") is not None

    def lock_staff_changes(self) -> None:
        """PostgreSQL: one process at a time compares and moves (the others then find nothing to do)."""
        self.sql.advisory_lock(STAFFING_LOCK)

    def recorded_staff(self, key: str = WORKERS_KEY) -> dict[str, str] | None:
        """grid id → default worker (or, with CADRES_KEY, area cadre) as last recorded; None before any record."""
        raw = self.meta(key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None

    def record_staff(self, staff: dict[str, str], key: str = WORKERS_KEY) -> None:
        value = json.dumps(staff, sort_keys=True, ensure_ascii=False)
        if self.meta(key) != value:
            self.set_meta(key, value)
