"""Residents' and staff's inbound messages: stored before anything is decided about them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Insert, Integer, String, bindparam, column, func, select, text

from bot.core.messages import IncomingMessage, MessageKind
from storage._sql import (
    MESSAGES,
    TWIN_LOCK,
    Sql,
    as_utc_or_none,
    defaults,
    insert_returning_key,
    prepared,
    rowcount,
    to_record,
    update_by_id,
)
from storage.records import FLOOD_WINDOW, StoredMessage
from storage.types import UTCDateTime

M = MESSAGES.c
COPY = MESSAGES.alias("copy")
# two accounts' copies of one message carry the platform's time of the message; a minute either way is slack
TWIN_WINDOW = timedelta(seconds=60)
BY_PLATFORM_ID = prepared(select(MESSAGES).where(M.platform_id == bindparam("platform_id")))
UNPROCESSED = prepared(select(MESSAGES).where(M.id == bindparam("pk"), M.processed_at.is_(None)))
SINCE = prepared(
    select(func.count())
    .select_from(MESSAGES)
    .where(
        M.sender_id == bindparam("sender_id"),
        M.received_at >= bindparam("since"),
        M.received_at <= bindparam("until"),
        M.id <= bindparam("upto"),
        M.twin_of.is_(None),
    )
)


# built once (a statement a group message when two accounts are paired): see Messages._twin
_MINE = select(COPY.c.id).where(COPY.c.twin_of == M.id, COPY.c.account == bindparam("account")).exists()
TWIN = prepared(
    select(M.id)
    .where(
        M.fingerprint == bindparam("fingerprint"),
        M.received_at >= bindparam("earliest"),
        M.received_at <= bindparam("latest"),
        M.account != bindparam("account"),
        M.twin_of.is_(None),
        M.platform_id != bindparam("platform_id"),
        ~_MINE,
    )
    .order_by(M.id)
    .limit(1)
)


def fingerprint(msg: IncomingMessage) -> str:
    """What every bot account sees alike of a group message (#18): the group's topic, the sender's own name,
    the kind and the text. Platform ids are left out: message ids always differ between accounts, and with
    some puppets room and contact ids do too. "" for a private message or a group without a known topic:
    those are never taken for another account's copy. The time is matched apart (TWIN_WINDOW), so that two
    copies a second apart on either side of a minute's boundary are still one message."""
    if msg.is_private or not msg.chat_topic:
        return ""
    parts = (msg.chat_topic, msg.sender_name, str(msg.kind), msg.text)
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


def message_of(row: Any) -> StoredMessage:
    return to_record(
        StoredMessage, row, pk=row.id, kind=_kind(row.kind), mentions=tuple(row.mentions.split()), in_minute=None
    )


# the flood check's count, made by the insert that stores the message (one statement a message fewer): the
# sender's earlier messages from `flood_since` up to this one's time. A subquery in RETURNING reads the rows
# as they were before this one on PostgreSQL and with it on SQLite; `id <` leaves it out on both
# (textual: SQLAlchemy neither correlates a subquery in an INSERT's RETURNING with the row inserted nor, on
# SQLite, keeps its table names there)
EARLIER_IN_MINUTE = (
    text(
        "SELECT count(*) FROM messages AS earlier WHERE earlier.sender_id = :flood_sender"
        " AND earlier.received_at >= :flood_since AND earlier.received_at <= :flood_until"
        " AND earlier.id < messages.id AND earlier.twin_of IS NULL"
    )
    # the sender and the span bound, not read from the new row: SQLite uses no index for a column of the
    # row being inserted (EXPLAIN QUERY PLAN: a scan of every earlier message, twice the statement time)
    .bindparams(
        bindparam("flood_sender", type_=String()),
        bindparam("flood_since", type_=UTCDateTime()),
        bindparam("flood_until", type_=UTCDateTime()),
    )
    .columns(column("earlier", Integer))
    .scalar_subquery()
)


def _kind(value: str) -> MessageKind:
    try:
        return MessageKind(value)
    except ValueError:  # a kind an older or newer gridbot stored: handled as a message of no known kind
        return MessageKind.OTHER


def _flood_span(msg: IncomingMessage) -> dict[str, Any]:
    t = msg.timestamp
    return {"flood_sender": msg.sender_id, "flood_since": t - FLOOD_WINDOW, "flood_until": t}


@cache
def _store(postgres: bool) -> Insert:
    """INSERT … ON CONFLICT (platform_id) DO NOTHING RETURNING the key and the flood count's earlier messages."""
    return prepared(insert_returning_key(MESSAGES, postgres, "platform_id").returning(EARLIER_IN_MINUTE))


class Messages:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def add(
        self, msg: IncomingMessage, purge_after: datetime | None, account: str = "", *, paired: bool = True
    ) -> tuple[StoredMessage, bool]:
        """Store a message unless its platform id is known. Returns (record, is_new).

        One INSERT … ON CONFLICT DO NOTHING: a message another process stored first (or is storing: the
        insert waits for its transaction) is recognised by the unique platform id, without a read first.
        A group message another bot account stored first under its own id (#18) is stored as that one's
        copy, processed already: not new (`_twin`); `paired` False (one account alone) skips that look."""
        print_ = fingerprint(msg)
        twin = self._twin(msg, print_, account) if print_ and paired else None
        values = {
            "platform_id": msg.message_id,
            "chat_id": msg.chat_id,
            "chat_topic": msg.chat_topic,
            "sender_id": msg.sender_id,
            "sender_name": msg.sender_name,
            "text": msg.text,
            "kind": str(msg.kind),
            "ref": msg.ref,
            "quoted_id": msg.quoted_id,
            "mentions": " ".join(msg.mentions),
            "mentions_bot": msg.mentions_bot,
            "received_at": msg.timestamp,
            "purge_after": purge_after,
            "account": account,
            "fingerprint": print_,
            "twin_of": twin,
            "processed_at": msg.timestamp if twin is not None else None,
        }
        found = self.sql.run(_store(self.sql.postgres), {**defaults(MESSAGES), **values, **_flood_span(msg)}).first()
        if found is None or twin is not None:  # known already: by its own id, or as the other account's message
            return message_of(self.sql.run(BY_PLATFORM_ID, {"platform_id": msg.message_id}).one()), False
        pk, earlier = found
        stored = StoredMessage(
            pk=int(pk),
            platform_id=msg.message_id,
            chat_id=msg.chat_id,
            chat_topic=msg.chat_topic,
            sender_id=msg.sender_id,
            sender_name=msg.sender_name,
            text=msg.text,
            kind=msg.kind,
            ref=msg.ref,
            quoted_id=msg.quoted_id,
            mentions=tuple(msg.mentions),
            mentions_bot=msg.mentions_bot,
            received_at=msg.timestamp,
            processed_at=None,
            ticket_id=None,
            in_minute=int(earlier) + 1,
        )
        return stored, True

    def _twin(self, msg: IncomingMessage, print_: str, account: str) -> int | None:
        """The message another account stored that this one is a copy of: the same fingerprint within
        TWIN_WINDOW, stored by another account, not a copy itself and not yet matched by a copy from this
        account, earliest first. So the same resident writing 收到 twice pairs each with its own copy, while
        two residents (other senders) or two groups (other topics) never match. On PostgreSQL the two
        accounts' processes take a lock on the fingerprint first, so that one of them stores first and the
        other sees it."""
        self.sql.advisory_lock(TWIN_LOCK, print_)
        found = self.sql.run(
            TWIN,
            {
                "fingerprint": print_,
                "earliest": msg.timestamp - TWIN_WINDOW,
                "latest": msg.timestamp + TWIN_WINDOW,
                "account": account,
                "platform_id": msg.message_id,
            },
        ).scalar_one_or_none()
        return int(found) if found is not None else None

    def original_of(self, platform_id: str) -> tuple[StoredMessage, str] | None:
        """The message that the one stored under `platform_id` is another account's copy of, and that account;
        None: not a copy."""
        stmt = select(MESSAGES).join(COPY, COPY.c.twin_of == M.id).where(COPY.c.platform_id == platform_id)
        row = self.sql.run(stmt).first()
        return (message_of(row), str(row.account)) if row else None

    def writers_named(self, chat_id: str, name: str, account: str, *, limit: int = 2) -> set[str]:
        """The sender ids (up to `limit`) under which `account` stored messages in `chat_id` from someone
        shown as `name`: two residents of one building may share a display name."""
        stmt = (
            select(M.sender_id)
            .where(M.chat_id == chat_id, M.sender_name == name, M.account == account)
            .distinct()
            .limit(limit)
        )
        return {str(pid) for (pid,) in self.sql.run(stmt)}

    def copies_of(self, pk: int) -> list[tuple[str, str]]:
        """(account, chat id as that account stored it) of each other account's copy of message `pk`."""
        rows = self.sql.run(select(M.account, M.chat_id).where(M.twin_of == pk).order_by(M.id))
        return [(str(account), str(chat)) for account, chat in rows]

    def claim(self, pk: int) -> StoredMessage | None:
        """Lock an unprocessed message for this turn (None: done already, or another process has it)."""
        row = self.sql.run(self.sql.for_update(UNPROCESSED, skip_locked=True), {"pk": pk}).first()
        return message_of(row) if row else None

    def mark_processed(self, pk: int, at: datetime, ticket_id: int | None = None) -> None:
        values: dict[str, Any] = {"_id": pk, "processed_at": at}
        if ticket_id is not None:
            values["ticket_id"] = ticket_id
            values["purge_after"] = None  # ticket texts are kept with the ticket
        self.sql.run(update_by_id(MESSAGES), values)

    def link(self, pk: int, ticket_id: int) -> None:
        """The message belongs to a ticket now: kept with it, never purged."""
        self.sql.run(update_by_id(MESSAGES), {"_id": pk, "ticket_id": ticket_id, "purge_after": None})

    def unprocessed(self, limit: int = 1000) -> list[StoredMessage]:
        stmt = select(MESSAGES).where(M.processed_at.is_(None)).order_by(M.id).limit(limit)
        return [message_of(m) for m in self.sql.run(stmt)]

    def by_pk(self, pk: int) -> StoredMessage | None:
        row = self.sql.run(select(MESSAGES).where(M.id == pk)).first()
        return message_of(row) if row else None

    def by_platform_id(self, platform_id: str) -> StoredMessage | None:
        row = self.sql.run(BY_PLATFORM_ID, {"platform_id": platform_id}).first()
        return message_of(row) if row else None

    def recent(self, chat_id: str, sender_id: str, since: datetime) -> list[StoredMessage]:
        """One person's messages in one chat since `since`, newest first."""
        stmt = (
            select(MESSAGES)
            .where(M.chat_id == chat_id, M.sender_id == sender_id, M.received_at >= since, M.twin_of.is_(None))
            .order_by(M.id.desc())
        )
        return [message_of(m) for m in self.sql.run(stmt)]

    def count_since(self, sender_id: str, since: datetime, until: datetime, upto: int) -> int:
        """The flood check: how many messages this person sent in [since, until], in any chat, stored no later
        than message `upto`. Bounded on both sides, a message handled late (start-up repair) is counted against
        the minute it arrived in, not against everything stored after it."""
        params = {"sender_id": sender_id, "since": since, "until": until, "upto": upto}
        return int(self.sql.run(SINCE, params).scalar_one())

    def of_ticket(self, ticket_id: int) -> list[StoredMessage]:
        stmt = select(MESSAGES).where(M.ticket_id == ticket_id).order_by(M.id)
        return [message_of(m) for m in self.sql.run(stmt)]

    def unmatched(self, limit: int = 200) -> list[StoredMessage]:
        """Residents' messages that opened nothing (kept until their purge time): what `nlp report` lists."""
        stmt = (
            select(MESSAGES)
            .where(M.ticket_id.is_(None), M.processed_at.is_not(None), M.kind == "text", M.twin_of.is_(None))
            .order_by(M.id.desc())
            .limit(limit)
        )
        return [message_of(m) for m in self.sql.run(stmt)]

    def groups_written_in(self, sender_id: str, limit: int = 50) -> list[str]:
        """The group chats this person wrote in, most recent message first (repeats included)."""
        stmt = (
            select(M.chat_id)
            .where(M.sender_id == sender_id, M.chat_id != sender_id)
            .order_by(M.received_at.desc())
            .limit(limit)
        )
        return [str(c) for c in self.sql.run(stmt).scalars()]

    def names_of(self, person_ids: Iterable[str]) -> dict[str, str]:
        """The name each person last wrote under (what an @-mention of them shows, also after a restart)."""
        out: dict[str, str] = {}
        for pid in dict.fromkeys(person_ids):
            stmt = (
                select(M.sender_name)
                .where(M.sender_id == pid, M.sender_name != "")
                .order_by(M.received_at.desc())
                .limit(1)
            )
            name = self.sql.run(stmt).scalar_one_or_none()
            if name:
                out[pid] = str(name)
        return out

    def _purgeable(self, now: datetime) -> list[Any]:
        return [
            M.purge_after.is_not(None),
            M.purge_after <= now,
            M.ticket_id.is_(None),
            M.processed_at.is_not(None),
        ]

    def purgeable_refs(self, now: datetime) -> list[str]:
        """The refs of the messages `purge` is about to delete (their pictures go with them)."""
        return [str(r) for r in self.sql.run(select(M.ref).where(*self._purgeable(now), M.ref != "")).scalars()]

    def purge(self, now: datetime) -> int:
        """Residents' words that opened nothing are kept only until their purge time."""
        return rowcount(self.sql.run(MESSAGES.delete().where(*self._purgeable(now))))

    def last_time(self) -> datetime | None:
        """When the newest stored message was received (a replay resumes after it)."""
        return as_utc_or_none(self.sql.run(select(func.max(M.received_at))).scalar_one())
