"""Follow-ups that are one per ticket rather than one per person (ratings, reopen watches).

`Repo.set_pending` keeps one follow-up per chat, person and kind; a resident may have two
results to rate in one group, so ratings are stored per ticket here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from storage import records as r
from storage.repository import PENDING, Repo, _to

P = PENDING.c
# every resident's message asks this: built once
BY_KINDS = (
    select(PENDING)
    .where(
        P.chat_id == bindparam("chat_id"),
        P.person_id == bindparam("person_id"),
        P.kind.in_(bindparam("kinds", expanding=True)),
        P.expires_at > bindparam("now"),
    )
    .order_by(P.id.desc())
)


def add_for_ticket(
    repo: Repo,
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
    repo.set_pending(
        chat_id, person_id, kind, at=at, expires_at=expires_at, ticket_id=ticket_id, data=data, per_ticket=True
    )


def drop_for_ticket(repo: Repo, ticket_id: int, kinds: tuple[str, ...]) -> None:
    repo.session.execute(PENDING.delete().where(P.ticket_id == ticket_id, P.kind.in_(list(kinds))))


def drop_expired(repo: Repo, kind: str, now: datetime) -> int:
    result = repo.session.execute(PENDING.delete().where(P.kind == kind, P.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def pendings_by_kind(
    repo: Repo, chat_id: str, person_id: str, kinds: tuple[str, ...], now: datetime
) -> dict[str, list[r.Pending]]:
    """`Repo.pendings` for several kinds in one query (every resident's message asks this): newest first."""
    found: dict[str, list[r.Pending]] = {kind: [] for kind in kinds}
    params = {"chat_id": chat_id, "person_id": person_id, "kinds": list(kinds), "now": now}
    for row in repo.session.connection().execute(BY_KINDS, params):
        found[row.kind].append(_to(r.Pending, row))
    return found
