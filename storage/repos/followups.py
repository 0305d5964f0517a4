"""Follow-ups the bot waits for (a rating, a split, a clarification, an extension), each with a time-out.

Follow-up questions are persisted state, not in-memory dicts: a restart forgets none of them. Most
kinds are one per chat, person and kind (a new one replaces the old); ratings and reopen watches are
one per ticket, because a resident may have two results to rate in one group.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from storage._sql import PENDING, Sql, one_of, prepared, rowcount, to_record
from storage.records import Pending

P = PENDING.c
# a follow-up replaces the one of its chat, person and kind (and ticket, with `per_ticket`): prebuilt, since a
# join sets one at every report
SAME = prepared(
    PENDING.delete().where(
        P.chat_id == bindparam("chat"), P.person_id == bindparam("person"), P.kind == bindparam("kind")
    )
)
SAME_TICKET = prepared(SAME.where(P.ticket_id == bindparam("ticket")))
LIVE = prepared(
    select(PENDING)
    .where(
        P.chat_id == bindparam("chat_id"),
        P.person_id == bindparam("person_id"),
        P.kind == bindparam("kind"),
        P.expires_at > bindparam("now"),
    )
    .order_by(P.id.desc())
)


@cache
def _live_of_kinds(kinds: tuple[str, ...]) -> Select[Any]:
    """A person's live follow-ups of the kinds given in one chat, newest first: every resident's message asks
    this; built once for each list of kinds."""
    return prepared(
        select(PENDING)
        .where(
            P.chat_id == bindparam("chat_id"),
            P.person_id == bindparam("person_id"),
            one_of(P.kind, kinds),
            P.expires_at > bindparam("now"),
        )
        .order_by(P.id.desc())
    )


class Followups:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def set(
        self,
        chat_id: str,
        person_id: str,
        kind: str,
        *,
        at: datetime,
        expires_at: datetime,
        ticket_id: int | None = None,
        data: dict[str, Any] | None = None,
        per_ticket: bool = False,
    ) -> None:
        """One follow-up per chat, person and kind (with `per_ticket`: per ticket too); a new one replaces it."""
        keys = {"chat": chat_id, "person": person_id, "kind": kind}
        self.sql.run(SAME_TICKET if per_ticket else SAME, {**keys, "ticket": ticket_id} if per_ticket else keys)
        self.sql.add(
            PENDING,
            {
                "chat_id": chat_id,
                "person_id": person_id,
                "kind": kind,
                "ticket_id": ticket_id,
                "data": json.dumps(data or {}, ensure_ascii=False),
                "created_at": at,
                "expires_at": expires_at,
            },
        )

    def set_for_ticket(
        self,
        chat_id: str,
        person_id: str,
        kind: str,
        ticket_id: int,
        *,
        at: datetime,
        expires_at: datetime,
        data: dict[str, Any] | None = None,
    ) -> None:
        """One follow-up for (chat, person, kind, ticket); an older one for the same ticket is replaced."""
        self.set(
            chat_id, person_id, kind, at=at, expires_at=expires_at, ticket_id=ticket_id, data=data, per_ticket=True
        )

    def get(self, chat_id: str, person_id: str, kind: str, now: datetime) -> Pending | None:
        """A person's newest live follow-up of one kind in one chat."""
        params = {"chat_id": chat_id, "person_id": person_id, "kind": kind, "now": now}
        row = self.sql.run(LIVE, params).first()
        return to_record(Pending, row) if row else None

    def of_kinds(self, chat_id: str, person_id: str, kinds: tuple[str, ...], now: datetime) -> dict[str, list[Pending]]:
        """A person's live follow-ups of several kinds in one chat, in one query: kind → newest first."""
        found: dict[str, list[Pending]] = {kind: [] for kind in kinds}
        params = {"chat_id": chat_id, "person_id": person_id, "now": now}
        for row in self.sql.run(_live_of_kinds(tuple(kinds)), params):
            found[row.kind].append(to_record(Pending, row))
        return found

    def for_ticket(self, ticket_id: int, kind: str, now: datetime) -> list[Pending]:
        stmt = select(PENDING).where(P.ticket_id == ticket_id, P.kind == kind, P.expires_at > now)
        return [to_record(Pending, row) for row in self.sql.run(stmt)]

    def expired(self, kind: str, now: datetime) -> list[Pending]:
        stmt = select(PENDING).where(P.kind == kind, P.expires_at <= now)
        return [to_record(Pending, row) for row in self.sql.run(stmt)]

    def drop(self, pending_id: int) -> None:
        self.sql.run(PENDING.delete().where(P.id == pending_id))

    def drop_for_ticket(self, ticket_id: int, kinds: tuple[str, ...]) -> None:
        self.sql.run(PENDING.delete().where(P.ticket_id == ticket_id, P.kind.in_(list(kinds))))

    def drop_expired(self, kind: str, now: datetime) -> int:
        return rowcount(self.sql.run(PENDING.delete().where(P.kind == kind, P.expires_at <= now)))
