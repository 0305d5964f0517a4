"""The outbox: every message the bot sends is a row first, written in the turn that decided it.

A row is marked `sending` (and committed) before the platform call, so a crash mid-send leaves it
visible and it is never resent blindly (bot/runtime/dispatcher.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.sql.dml import Update

from bot.core.messages import OutgoingMessage
from storage._sql import OUTBOX, Sql, as_utc_or_none, prepared, rowcount, to_record, update_by_id
from storage.leases import Lease
from storage.records import OutboxItem, PostState
from storage.states import OutboxState

OB = OUTBOX.c
# the dispatcher's sleep after a drain that found nothing due: built once (storage/_prepared.py)
NEXT_NOT_BEFORE = prepared(select(func.min(OB.not_before)).where(OB.state == OutboxState.PENDING))


@cache
def _claim(postgres: bool) -> Update:
    """The due rows marked `sending` and read back in one statement (UPDATE … RETURNING); on PostgreSQL
    the rows another process is claiming are skipped, not waited for (FOR UPDATE SKIP LOCKED)."""
    due = select(OB.id).where(OB.state == OutboxState.PENDING, OB.not_before <= bindparam("now"))
    due = due.order_by(OB.not_before, OB.id).limit(bindparam("limit"))
    if postgres:
        due = due.with_for_update(skip_locked=True)
    # a CTE, computed once: as `id IN (subquery)` PostgreSQL may plan a nested-loop semi join (statistics
    # that say the outbox is tiny) that runs the subquery again for every outer row, each run skipping the
    # rows this statement already locked, so that a claim of one row marked every due row `sending`
    once = due.cte("due").prefix_with("MATERIALIZED")
    return prepared(
        update(OUTBOX)
        .where(OB.id == once.c.id)
        .values(
            state=OutboxState.SENDING,
            attempts=OB.attempts + 1,
            owner=bindparam("claim_owner"),
            account=bindparam("claim_account"),
        )
        .returning(*OUTBOX.c)
    )


def item_of(row: Any, **now: Any) -> OutboxItem:
    """A row as a record; `now` overrides what the row said before this turn changed it."""
    now.setdefault("state", OutboxState(row.state))
    return to_record(OutboxItem, row, mention_ids=tuple(row.mention_ids.split()), **now)


class Outbox:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql
        self.wrote = False  # this turn queued, claimed or finished a row (Store.outbox_writes counts such turns)

    def enqueue(
        self,
        out: OutgoingMessage,
        *,
        at: datetime,
        not_before: datetime | None = None,
        ticket_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> bool:
        """Queue a message; with a dedupe key, a second enqueue of the same key is a no-op (False)."""
        values = {
            "chat_id": out.chat_id,
            "text": out.text,
            "mention_ids": " ".join(out.mention_ids),
            "image_path": out.image_path,
            "ticket_id": ticket_id,
            "created_at": at,
            "not_before": not_before or at,
            "dedupe_key": dedupe_key,
        }
        self.wrote = True
        # a key another process queued at the same moment is a no-op too, not a failed turn
        return self.sql.add(OUTBOX, values, conflict="dedupe_key" if dedupe_key is not None else "") is not None

    def claim(self, now: datetime, limit: int, owner: str = "", account: str = "") -> list[OutboxItem]:
        """Mark due rows as `sending` by `owner` (the process; `account`: the bot account it speaks as) before
        the send call (a crash mid-send is then visible). Due rows are locked and skipped by the others
        (SKIP LOCKED): two processes never claim one row, whichever accounts they are."""
        params = {"now": now, "limit": limit, "claim_owner": owner, "claim_account": account}
        rows = sorted(self.sql.run(_claim(self.sql.postgres), params).all(), key=lambda row: (row.not_before, row.id))
        if rows:
            self.wrote = True
        return [item_of(row) for row in rows]

    def finish(
        self, outbox_id: int, *, state: OutboxState, at: datetime, error: str = "", retry_at: datetime | None = None
    ) -> None:
        """The send's outcome: sent, pending again (a retry at `retry_at`), failed, or unknown."""
        self.wrote = True
        values: dict[str, Any] = {"_id": outbox_id, "state": state, "last_error": error[:500]}
        if state == OutboxState.SENT:
            values["sent_at"] = at
        if retry_at is not None:
            values["not_before"] = retry_at
        self.sql.run(update_by_id(OUTBOX), values)

    def hold(self, outbox_id: int, *, until: datetime, attempts: int) -> None:
        """Back to `pending` until `until`, as if never claimed (a held post is not a failed try)."""
        values = {
            "_id": outbox_id,
            "state": OutboxState.PENDING,
            "not_before": until,
            "attempts": attempts,
            "owner": "",
        }
        self.sql.run(update_by_id(OUTBOX), values)
        self.wrote = True

    def sent_since(self, since: datetime, account: str) -> int:
        """How many messages `account` sent from `since` on (its day's count against `account_limits`; two
        accounts on one database each have their own)."""
        stmt = select(func.count()).where(OB.state == OutboxState.SENT, OB.sent_at >= since, OB.account == account)
        return int(self.sql.run(stmt).scalar_one())

    def retry_now(self, now: datetime) -> int:
        """Rows waiting for a retry after failed sends come due now (another account took over: the back-off
        was the old account's). Rows held for quiet hours or the day's limit were never tried: they wait."""
        stmt = (
            update(OUTBOX)
            .where(OB.state == OutboxState.PENDING, OB.attempts > 0, OB.last_error != "", OB.not_before > now)
            .values(not_before=now)
        )
        self.wrote = True
        return rowcount(self.sql.run(stmt))

    def stranded(self, lease: Lease) -> list[OutboxItem]:
        """Rows left `sending` by a process that died mid-send (never resent blindly); locked for this turn."""
        sending = select(OUTBOX).where(OB.state == OutboxState.SENDING).order_by(OB.id)
        rows = self.sql.run(self.sql.for_update(sending, skip_locked=True)).all()
        alive: dict[str, bool] = {}
        conn = self.sql.connection()
        stranded = []
        for row in rows:
            if row.owner not in alive:
                alive[row.owner] = lease.is_alive(conn, row.owner)
            if not alive[row.owner]:
                stranded.append(item_of(row))
        return stranded

    def items(self, states: Sequence[OutboxState] | None = None) -> list[OutboxItem]:
        stmt = select(OUTBOX).order_by(OB.id)
        if states is not None:
            stmt = stmt.where(OB.state.in_(list(states)))
        return [item_of(row) for row in self.sql.run(stmt)]

    def next_time(self) -> datetime | None:
        """When the earliest pending row comes due (the dispatcher sleeps until then)."""
        return as_utc_or_none(self.sql.run(NEXT_NOT_BEFORE).scalar_one())

    def states_of(self, keys: Sequence[str]) -> dict[str, PostState]:
        """Where the posts queued under these dedupe keys stand (a key never queued is left out)."""
        if not keys:
            return {}
        stmt = select(OB.dedupe_key, OB.state, OB.not_before, OB.last_error).where(OB.dedupe_key.in_(list(keys)))
        return {
            str(key): PostState(OutboxState(state), nb, str(error or ""))
            for key, state, nb, error in self.sql.run(stmt)
        }

    def cancel(self, keys: Sequence[str]) -> list[str]:
        """Withdraw the posts under these keys that have not been sent yet; the keys it withdrew."""
        if not keys:
            return []
        stmt = select(OB.id, OB.dedupe_key).where(OB.dedupe_key.in_(list(keys)), OB.state == OutboxState.PENDING)
        rows = self.sql.run(self.sql.for_update(stmt)).all()
        if rows:
            cancel = update(OUTBOX).where(OB.id.in_([r.id for r in rows]), OB.state == OutboxState.PENDING)
            self.sql.run(cancel.values(state=OutboxState.CANCELLED, last_error="recalled"))
        return [str(r.dedupe_key) for r in rows]
