"""What the administration page changed: people, grids, groups, the duty roster and holidays; and stand-ins.

config.yaml seeds the directory; a row here replaces the file's entry with the same key (or adds
one, or removes it with `{"removed": true}`), so the page wins over the file. Every change writes
an `admin_events` row with the value before and after, and bumps a version the running bots read
to know when to rebuild their settings (handlers/domain/directory.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update

from storage._sql import ADMIN_EVENTS, DIRECTORY, STANDINS, Sql, prepared
from storage.repos.state import State

VERSION_KEY = "directory_version"
KINDS = ("person", "grid", "group", "duty", "holidays")
D, A, S = DIRECTORY.c, ADMIN_EVENTS.c, STANDINS.c
STANDINS_NOW = prepared(select(S.person_id, S.by_id).where(S.until > bindparam("now")))


@dataclass(frozen=True)
class Override:
    kind: str
    key: str
    value: Any  # decoded JSON
    at: datetime
    by_id: str


@dataclass(frozen=True)
class AdminEvent:
    id: int
    at: datetime
    community_id: str
    actor_id: str
    actor_name: str
    kind: str
    key: str
    before: Any
    after: Any


class HasMeta(Protocol):
    def meta(self, key: str) -> str | None: ...


def dumps(value: Any) -> str:
    """A directory value as stored (and as the change log shows it)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _for_log(value: Any) -> Any:
    """The change log shows whether a password changed (a short fingerprint), never its hash."""
    if isinstance(value, dict) and value.get("password_hash"):
        mark = hashlib.sha256(str(value["password_hash"]).encode()).hexdigest()[:6]
        return {**value, "password_hash": f"（已设置 {mark}）"}
    return value


def version(source: HasMeta) -> str:
    """The directory's version, from a turn's `uow.state` or from the store itself (a read outside any turn)."""
    return source.meta(VERSION_KEY) or "0"


class Directory:
    def __init__(self, sql: Sql, state: State) -> None:
        self.sql = sql
        self.state = state

    def version(self) -> str:
        return version(self.state)

    def overrides(self) -> list[Override]:
        """Every stored change, oldest first (later ones are applied over earlier ones)."""
        rows = self.sql.run(select(DIRECTORY).order_by(D.at, D.kind))
        return [Override(row.kind, row.key, json.loads(row.value), row.at, row.by_id) for row in rows]

    def save(
        self,
        kind: str,
        key: str,
        value: Any,
        *,
        before: Any,
        at: datetime,
        actor_id: str,
        actor_name: str,
        community_id: str = "",
    ) -> None:
        """Store one change, its event row, and a new version, in the caller's transaction."""
        if kind not in KINDS:
            raise ValueError(f"unknown directory kind {kind!r}")
        row = {"value": dumps(value), "at": at, "by_id": actor_id}
        exists = self.sql.run(select(D.kind).where(D.kind == kind, D.key == key)).first()
        if exists is None:
            self.sql.run(DIRECTORY.insert(), {"kind": kind, "key": key, **row})
        else:
            self.sql.run(update(DIRECTORY).where(D.kind == kind, D.key == key).values(**row))
        change = {
            "at": at,
            "community_id": community_id,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "kind": kind,
            "key": key,
            "before": dumps(_for_log(before)),
            "after": dumps(_for_log(value)),
        }
        self.sql.add(ADMIN_EVENTS, change)
        # a fresh token, not a counter: two saves from two processes can never leave the same version
        self.state.set_meta(VERSION_KEY, uuid.uuid4().hex)

    def events(self, community_ids: tuple[str, ...] | None = None, limit: int = 100) -> list[AdminEvent]:
        """The change log, newest first; `community_ids` limits it (street-wide changes have community "")."""
        stmt = select(ADMIN_EVENTS).order_by(A.id.desc()).limit(limit)
        if community_ids is not None:
            stmt = stmt.where(A.community_id.in_([*community_ids, ""]))
        return [
            AdminEvent(
                id=row.id or 0,
                at=row.at,
                community_id=row.community_id,
                actor_id=row.actor_id,
                actor_name=row.actor_name,
                kind=row.kind,
                key=row.key,
                before=json.loads(row.before or "null"),
                after=json.loads(row.after or "null"),
            )
            for row in self.sql.run(stmt)
        ]

    # -- stand-ins (/代班; config `standins:` adds more) ---------------------------------------------

    def set_standin(self, person_id: str, by_id: str, until: datetime, *, set_by: str, at: datetime) -> None:
        """`by_id` covers for `person_id` until `until`; a new stand-in replaces the old one."""
        self.sql.run(STANDINS.delete().where(S.person_id == person_id))
        self.sql.add(STANDINS, {"person_id": person_id, "by_id": by_id, "until": until, "set_by": set_by, "at": at})

    def standins(self, now: datetime) -> dict[str, str]:
        """Active stand-ins: absent person id → covering person id."""
        return {str(p): str(b) for p, b in self.sql.run(STANDINS_NOW, {"now": now})}

    def ended_standins(self, now: datetime) -> list[tuple[str, str]]:
        """(absent person id, covering person id) of stand-ins whose period is over and not yet wound up."""
        stmt = select(S.person_id, S.by_id).where(S.until <= now).order_by(S.id)
        return [(str(p), str(b)) for p, b in self.sql.run(stmt)]

    def drop_standin(self, person_id: str, by_id: str) -> None:
        self.sql.run(STANDINS.delete().where(S.person_id == person_id, S.by_id == by_id))
