"""Ids that change: the platform id each stable key has this login, and the change log of re-mappings.

Everything else in the database stores stable keys (config's ids or topics, or the first platform id seen);
a key has a row here only once it was re-mapped to a new platform id (handlers/domain/identity.py). Each bot
account has a map of its own (`account`): two accounts in one room may each see it under an id of their own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update

from storage._sql import ADMIN_EVENTS, IDENTITIES, LINKS, MESSAGES, PENDING, TICKETS, Sql
from storage.repos.directory import VERSION_KEY
from storage.repos.state import State
from storage.states import FINAL_STATES

IDS, L, M, P, T = IDENTITIES.c, LINKS.c, MESSAGES.c, PENDING.c, TICKETS.c
KINDS = ("group", "person")
CHUNK = 500  # keys per IN (…) list: well under SQLite's and PostgreSQL's bound-parameter limits


class Identities:
    def __init__(self, sql: Sql, state: State) -> None:
        self.sql = sql
        self.state = state

    def all(self, account: str) -> dict[tuple[str, str], str]:
        """(kind, key) → platform id, for every key `account` re-mapped."""
        rows = self.sql.run(select(IDENTITIES).where(IDS.account == account))
        return {(str(r.kind), str(r.key)): str(r.platform_id) for r in rows}

    def adopt(self, account: str, previous: str) -> int:
        """`account` takes over the map of `previous` when it has none of its own: an office that ran one
        account (migration 0017 gave its map to the default account) and now names it for a standby pair.
        Returns how many rows moved (0 when `account` has a map already)."""
        if account == previous or self.all(account):
            return 0
        moved = self.sql.run(update(IDENTITIES).where(IDS.account == previous).values(account=account)).rowcount
        if moved:
            self.state.set_meta(VERSION_KEY, uuid.uuid4().hex)
        return int(moved or 0)

    def key_of(self, account: str, kind: str, platform_id: str) -> str | None:
        """The key `account` re-mapped to `platform_id`, if any."""
        stmt = select(IDS.key).where(IDS.account == account, IDS.kind == kind, IDS.platform_id == platform_id)
        found = self.sql.run(stmt).scalar_one_or_none()
        return str(found) if found is not None else None

    def bind(self, account: str, kind: str, key: str, platform_id: str, *, at: datetime, by: str, how: str) -> str:
        """For `account`, `key` is `platform_id` from now on (a key that held that id before lets it go); an
        event row in the change log says which account, which id it had, which it has now and how it was
        found. Returns the old id. The other accounts' maps are not touched."""
        if kind not in KINDS:
            raise ValueError(f"unknown identity kind {kind!r}")
        mine = (IDS.account == account, IDS.kind == kind)
        had = self.all(account)
        before = had.get((kind, key), key)
        self.sql.run(IDENTITIES.delete().where(*mine, IDS.platform_id == platform_id, IDS.key != key))
        values = {"platform_id": platform_id, "updated_at": at}
        if platform_id == key:  # back at its own id: no row needed
            self.sql.run(IDENTITIES.delete().where(*mine, IDS.key == key))
        elif (kind, key) in had:
            self.sql.run(update(IDENTITIES).where(*mine, IDS.key == key).values(**values))
        else:
            self.sql.add(IDENTITIES, {"account": account, "kind": kind, "key": key, **values})
        self.sql.add(
            ADMIN_EVENTS,
            {
                "at": at,
                "community_id": "",
                "actor_id": by,
                "actor_name": by,
                "kind": f"{kind}-id",
                "key": key,
                "before": json.dumps({"platform_id": before}, ensure_ascii=False),
                "after": json.dumps({"platform_id": platform_id, "how": how, "account": account}, ensure_ascii=False),
            },
        )
        # the directory's version moves: every process reloads its map with its settings (directory.refresh)
        self.state.set_meta(VERSION_KEY, uuid.uuid4().hex)
        return before

    def seen_by(self, kind: str, keys: Iterable[str]) -> dict[str, set[str]]:
        """key → the accounts that stored a message from it (a person) or in it (a group): which account's
        platform id a key first was. "" is an account of a message stored before accounts had ids."""
        column = M.sender_id if kind == "person" else M.chat_id
        out: dict[str, set[str]] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), CHUNK):
            stmt = select(column, M.account).where(column.in_(wanted[start : start + CHUNK])).distinct()
            for key, account in self.sql.run(stmt):
                out.setdefault(str(key), set()).add(str(account))
        return out

    def residents(self) -> dict[str, str]:
        """Reporters of tickets still in play (a rating may follow a result) and people a follow-up waits
        for: id → the name they reported under. These are the residents a re-login must not lose."""
        live = select(T.id).where(T.state.not_in([s.value for s in FINAL_STATES]))
        rows = self.sql.run(select(L.reporter_id, L.reporter_name).where(L.ticket_id.in_(live)).order_by(L.at))
        out = {str(pid): str(name) for pid, name in rows if pid}
        for (pid,) in self.sql.run(select(P.person_id).distinct()):
            out.setdefault(str(pid), "")
        return out
