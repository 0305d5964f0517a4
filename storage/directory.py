"""What the administration page changed: people, grids, groups, the duty roster and holidays.

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
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from storage import records as r
from storage.repository import Repo, Store
from storage.tables import AdminEventRow, DirectoryRow, TicketRow

VERSION_KEY = "directory_version"
KINDS = ("person", "grid", "group", "duty", "holidays")


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


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _for_log(value: Any) -> Any:
    """The change log shows whether a password changed (a short fingerprint), never its hash."""
    if isinstance(value, dict) and value.get("password_hash"):
        mark = hashlib.sha256(str(value["password_hash"]).encode()).hexdigest()[:6]
        return {**value, "password_hash": f"（已设置 {mark}）"}
    return value


def overrides(repo: Repo) -> list[Override]:
    """Every stored change, oldest first (later ones are applied over earlier ones)."""
    rows = repo.session.exec(select(DirectoryRow).order_by(col(DirectoryRow.at), col(DirectoryRow.kind)))
    return [Override(row.kind, row.key, json.loads(row.value), row.at, row.by_id) for row in rows]


def version(source: Repo | Store) -> str:
    """The directory's version: a turn's repository, or the store itself (a read outside any turn)."""
    return source.meta(VERSION_KEY) or "0"


def save(
    repo: Repo,
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
    row = repo.session.get(DirectoryRow, (kind, key)) or DirectoryRow(kind=kind, key=key)
    row.value = _dumps(value)
    row.at = at
    row.by_id = actor_id
    repo.session.add(row)
    repo.session.add(
        AdminEventRow(
            at=at,
            community_id=community_id,
            actor_id=actor_id,
            actor_name=actor_name,
            kind=kind,
            key=key,
            before=_dumps(_for_log(before)),
            after=_dumps(_for_log(value)),
        )
    )
    # a fresh token, not a counter: two saves from two processes can never leave the same version
    repo.set_meta(VERSION_KEY, uuid.uuid4().hex)
    repo.session.flush()


def events(repo: Repo, community_ids: tuple[str, ...] | None = None, limit: int = 100) -> list[AdminEvent]:
    """The change log, newest first; `community_ids` limits it (street-wide changes have community "")."""
    query = select(AdminEventRow).order_by(col(AdminEventRow.id).desc()).limit(limit)
    if community_ids is not None:
        query = query.where(col(AdminEventRow.community_id).in_([*community_ids, ""]))
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
        for row in repo.session.exec(query)
    ]


def open_tickets_held(repo: Repo, person_id: str) -> int:
    """Tickets still waiting on this person (before they can be removed)."""
    query = select(func.count()).where(col(TicketRow.holder_id) == person_id, col(TicketRow.state).in_(r.HELD_STATES))
    return int(repo.session.exec(query).one())
