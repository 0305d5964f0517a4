"""The speaking lease (#18): of the bot accounts in the same groups, exactly one sends what the outbox holds.

One row. Its holder renews it (`beat` + 1) while its account is logged in; another account takes it when it
saw the same beat for long enough by its own clock (bot/runtime/speaking.py), so the accounts' clocks need
not agree. Taking and renewing are compare-and-set updates: of two accounts that try at once, one wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage._sql import SPEAKER, Sql, rowcount, to_record
from storage.records import SpeakerLease

S = SPEAKER.c
ROW = 1


class Speaker:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def get(self) -> SpeakerLease | None:
        row = self.sql.run(select(SPEAKER).where(S.id == ROW)).first()
        return to_record(SpeakerLease, row) if row is not None else None

    def take(self, account: str, owner: str, now: datetime, *, seen: SpeakerLease | None) -> bool:
        """Take the lease if it is still as `seen` (None: no row yet); False when another got there first."""
        values = {"account": account, "owner": owner, "since": now, "note": ""}
        if seen is None:
            return self.sql.add(SPEAKER, {"id": ROW, "beat": 1, **values}, conflict="id") is not None
        stmt = (
            update(SPEAKER)
            .where(S.id == ROW, S.account == seen.account, S.beat == seen.beat)
            .values(beat=S.beat + 1, **values)
        )
        return rowcount(self.sql.run(stmt)) == 1

    def renew(self, account: str, owner: str) -> bool:
        """The holder's heartbeat; False when the lease is not this account's any more."""
        stmt = update(SPEAKER).where(S.id == ROW, S.account == account).values(beat=S.beat + 1, owner=owner)
        return rowcount(self.sql.run(stmt)) == 1

    def release(self, account: str) -> bool:
        """Give the lease up (a clean stop): another account takes it at its next look, without waiting. The
        note keeps who gave it up, for the taker's word to the staff chat."""
        stmt = (
            update(SPEAKER)
            .where(S.id == ROW, S.account == account)
            .values(account="", owner="", beat=S.beat + 1, note=account)
        )
        return rowcount(self.sql.run(stmt)) == 1
