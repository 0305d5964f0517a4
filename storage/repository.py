"""The one repository API. Handlers work inside `store.begin()`: one transaction per turn.

Every method returns domain records (storage/records.py); no SQLModel row
leaves this package. A turn that raises rolls back whole, so a ticket, its
event and its outgoing messages are stored together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, insert, or_, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, delete, select

from bot.messages import IncomingMessage, OutgoingMessage
from storage import records as r
from storage.db import DatabaseError, is_postgres, make_engine
from storage.leases import Lease, new_owner
from storage.tables import (
    EventRow,
    GroupRow,
    LinkRow,
    MessageRow,
    MetaRow,
    NoticeRow,
    OutboxRow,
    PendingRow,
    StandInRow,
    TicketRow,
)
from storage.types import UTCDateTime

T = TypeVar("T")


def _to(cls: type[T], row: Any, **extra: Any) -> T:
    values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in extra}  # type: ignore[arg-type]
    return cls(**values, **extra)


def _ticket(row: TicketRow) -> r.Ticket:
    return _to(r.Ticket, row)


def _message(row: MessageRow) -> r.StoredMessage:
    return _to(r.StoredMessage, row, pk=row.id, mentions=tuple(row.mentions.split()))


def _outbox(row: OutboxRow) -> r.OutboxItem:
    return _to(r.OutboxItem, row, mention_ids=tuple(row.mention_ids.split()))


def _as_utc(value: Any) -> datetime:
    """Aggregates (min/max) bypass the column type: make their result aware UTC like the columns."""
    converted = UTCDateTime().process_result_value(value, None)  # type: ignore[arg-type]
    assert converted is not None
    return converted


class Store:
    """Owns the engine; hands out transaction-bound repositories."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        """`create`: a new database gets the current schema; one at an older schema is refused."""
        self.url = url
        self.engine: Engine = make_engine(url)
        self.lease = Lease(self.engine, new_owner())
        if create:
            from storage.migrate import ensure_current

            try:
                ensure_current(self.engine, url)
            except DatabaseError:
                self.engine.dispose()
                raise
            except OperationalError as exc:
                self.engine.dispose()
                raise DatabaseError(f"cannot reach the database: {exc.orig or exc}".strip()) from exc

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.engine)

    @contextmanager
    def begin(self) -> Iterator[Repo]:
        with Session(self.engine, expire_on_commit=False) as session:
            repo = Repo(session, self.is_postgres)
            try:
                yield repo
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.lease.release()
        self.engine.dispose()


class Repo:
    def __init__(self, session: Session, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside undoes only what was written inside."""
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            raise
        else:
            nested.commit()

    # -- inbound messages ---------------------------------------------------------------

    def add_message(self, msg: IncomingMessage, purge_after: datetime | None) -> tuple[r.StoredMessage, bool]:
        """Store a message unless its platform id is known. Returns (record, is_new)."""
        existing = self.session.exec(select(MessageRow).where(MessageRow.platform_id == msg.message_id)).first()
        if existing is not None:
            return _message(existing), False
        row = MessageRow(
            platform_id=msg.message_id,
            chat_id=msg.chat_id,
            chat_topic=msg.chat_topic,
            sender_id=msg.sender_id,
            sender_name=msg.sender_name,
            text=msg.text,
            kind=str(msg.kind),
            ref=msg.ref,
            quoted_id=msg.quoted_id,
            mentions=" ".join(msg.mentions),
            mentions_bot=msg.mentions_bot,
            received_at=msg.timestamp,
            purge_after=purge_after,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            # another process stored the same platform message between our read and write
            self.session.rollback()
            existing = self.session.exec(select(MessageRow).where(MessageRow.platform_id == msg.message_id)).one()
            return _message(existing), False
        return _message(row), True

    def claim_message(self, pk: int) -> r.StoredMessage | None:
        """Lock an unprocessed message for this turn (None: done already, or another process has it)."""
        stmt = select(MessageRow).where(MessageRow.id == pk, col(MessageRow.processed_at).is_(None))
        if self.postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        row = self.session.exec(stmt).first()
        return _message(row) if row else None

    def lock_chat(self, chat_id: str) -> None:
        """PostgreSQL: serialise turns of one chat across processes (joins and splits see each other)."""
        if self.postgres:
            self.session.execute(text("SELECT pg_advisory_xact_lock(7311, hashtext(:chat))"), {"chat": chat_id})

    def mark_processed(self, pk: int, at: datetime, ticket_id: int | None = None) -> None:
        values: dict[str, Any] = {"processed_at": at}
        if ticket_id is not None:
            values["ticket_id"] = ticket_id
            values["purge_after"] = None  # ticket texts are kept with the ticket
        self.session.execute(update(MessageRow).where(col(MessageRow.id) == pk).values(**values))

    def link_message(self, pk: int, ticket_id: int) -> None:
        self.session.execute(
            update(MessageRow).where(col(MessageRow.id) == pk).values(ticket_id=ticket_id, purge_after=None)
        )

    def unprocessed_messages(self, limit: int = 1000) -> list[r.StoredMessage]:
        stmt = (
            select(MessageRow).where(col(MessageRow.processed_at).is_(None)).order_by(col(MessageRow.id)).limit(limit)
        )
        return [_message(m) for m in self.session.exec(stmt)]

    def message_by_platform_id(self, platform_id: str) -> r.StoredMessage | None:
        row = self.session.exec(select(MessageRow).where(MessageRow.platform_id == platform_id)).first()
        return _message(row) if row else None

    def recent_messages(self, chat_id: str, sender_id: str, since: datetime) -> list[r.StoredMessage]:
        stmt = (
            select(MessageRow)
            .where(MessageRow.chat_id == chat_id, MessageRow.sender_id == sender_id, MessageRow.received_at >= since)
            .order_by(col(MessageRow.id).desc())
        )
        return [_message(m) for m in self.session.exec(stmt)]

    def count_messages_since(self, sender_id: str, since: datetime) -> int:
        stmt = select(func.count()).where(MessageRow.sender_id == sender_id, MessageRow.received_at >= since)
        return int(self.session.exec(stmt).one())

    def purge_messages(self, now: datetime) -> int:
        """Residents' words that opened nothing are kept only until their purge time."""
        result = self.session.execute(
            delete(MessageRow).where(
                col(MessageRow.purge_after).is_not(None),
                col(MessageRow.purge_after) <= now,
                col(MessageRow.ticket_id).is_(None),
                col(MessageRow.processed_at).is_not(None),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def last_message_time(self) -> datetime | None:
        value = self.session.exec(select(func.max(MessageRow.received_at))).one()
        return _as_utc(value) if value is not None else None

    def messages_of_ticket(self, ticket_id: int) -> list[r.StoredMessage]:
        stmt = select(MessageRow).where(MessageRow.ticket_id == ticket_id).order_by(col(MessageRow.id))
        return [_message(m) for m in self.session.exec(stmt)]

    # -- tickets ------------------------------------------------------------------------

    def create_ticket(self, **values: Any) -> r.Ticket:
        row = TicketRow(**values)
        self.session.add(row)
        self.session.flush()
        return _ticket(row)

    def insert_tickets(self, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk insert (imports, benchmarks): one executemany, no per-row round trips."""
        if rows:
            self.session.execute(insert(TicketRow), list(rows))

    def insert_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk insert of timeline rows (imports, benchmarks); `data` is a JSON string here."""
        if rows:
            self.session.execute(insert(EventRow), list(rows))

    def ticket(self, ticket_id: int, *, lock: bool = False) -> r.Ticket | None:
        stmt = select(TicketRow).where(TicketRow.id == ticket_id)
        if lock and self.postgres:
            stmt = stmt.with_for_update()
        row = self.session.exec(stmt).first()
        return _ticket(row) if row else None

    def update_ticket(self, ticket_id: int, **changes: Any) -> r.Ticket:
        row = self.session.get(TicketRow, ticket_id)
        if row is None:
            raise KeyError(ticket_id)
        for key, value in changes.items():
            if not hasattr(row, key):
                raise AttributeError(f"tickets has no column {key!r}")
            setattr(row, key, value)
        row.version += 1
        self.session.add(row)
        self.session.flush()
        return _ticket(row)

    def tickets(
        self,
        *,
        states: Sequence[str] | None = None,
        holder_id: str | None = None,
        grid_ids: Sequence[str] | None = None,
        community_id: str | None = None,
        chat_id: str | None = None,
        category: str | None = None,
        since: datetime | None = None,
        order_by_deadline: bool = False,
        limit: int | None = None,
    ) -> list[r.Ticket]:
        stmt = select(TicketRow)
        if states is not None:
            stmt = stmt.where(col(TicketRow.state).in_(list(states)))
        if holder_id is not None:
            stmt = stmt.where(TicketRow.holder_id == holder_id)
        if grid_ids is not None:
            stmt = stmt.where(col(TicketRow.grid_id).in_(list(grid_ids)))
        if community_id is not None:
            stmt = stmt.where(TicketRow.community_id == community_id)
        if chat_id is not None:
            stmt = stmt.where(TicketRow.chat_id == chat_id)
        if category is not None:
            stmt = stmt.where(TicketRow.category == category)
        if since is not None:
            stmt = stmt.where(TicketRow.created_at >= since)
        if order_by_deadline:
            stmt = stmt.order_by(col(TicketRow.deadline_at).asc(), col(TicketRow.id))
        else:
            stmt = stmt.order_by(col(TicketRow.id))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_ticket(t) for t in self.session.exec(stmt)]

    def due_ticket_ids(self, now: datetime, limit: int = 500) -> list[int]:
        """Ids of tickets with something due; rows another process holds are skipped (PostgreSQL)."""
        stmt = (
            select(TicketRow.id)
            .where(col(TicketRow.next_due_at).is_not(None), col(TicketRow.next_due_at) <= now)
            .order_by(col(TicketRow.next_due_at))
            .limit(limit)
        )
        return [int(i) for i in self.session.exec(stmt) if i is not None]

    def lock_due_ticket(self, ticket_id: int, now: datetime) -> r.Ticket | None:
        """Lock one due ticket for this turn; None if it is no longer due or another process holds it."""
        stmt = select(TicketRow).where(
            TicketRow.id == ticket_id, col(TicketRow.next_due_at).is_not(None), col(TicketRow.next_due_at) <= now
        )
        if self.postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        row = self.session.exec(stmt).first()
        return _ticket(row) if row else None

    # -- reporters (origin, joined duplicates, merged tickets) --------------------------

    def add_reporter(self, ticket_id: int, msg: r.StoredMessage | None, *, kind: str, at: datetime, **who: Any) -> None:
        if msg is not None:
            who = {
                "chat_id": msg.chat_id,
                "chat_topic": msg.chat_topic,
                "reporter_id": msg.sender_id,
                "reporter_name": msg.sender_name,
                "message_id": msg.pk,
                **who,
            }
        self.session.add(LinkRow(ticket_id=ticket_id, kind=kind, at=at, **who))

    def reporters(self, ticket_id: int) -> list[r.Reporter]:
        stmt = select(LinkRow).where(LinkRow.ticket_id == ticket_id).order_by(col(LinkRow.id))
        return [_to(r.Reporter, row) for row in self.session.exec(stmt)]

    def move_reporters(self, from_ticket: int, to_ticket: int) -> None:
        self.session.execute(
            update(LinkRow).where(col(LinkRow.ticket_id) == from_ticket).values(ticket_id=to_ticket, kind="merged")
        )

    def remove_reporter(self, ticket_id: int, reporter_id: str) -> None:
        self.session.execute(
            delete(LinkRow).where(
                col(LinkRow.ticket_id) == ticket_id,
                col(LinkRow.reporter_id) == reporter_id,
                col(LinkRow.kind) == "joined",
            )
        )

    # -- events -------------------------------------------------------------------------

    def add_event(
        self,
        ticket_id: int,
        action: str,
        at: datetime,
        *,
        actor_id: str = "",
        actor_name: str = "",
        note: str = "",
        level: int = 1,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            EventRow(
                ticket_id=ticket_id,
                action=action,
                at=at,
                actor_id=actor_id,
                actor_name=actor_name,
                note=note,
                level=level,
                data=json.dumps(data, ensure_ascii=False) if data else "",
            )
        )

    def events(self, ticket_id: int) -> list[r.Event]:
        stmt = select(EventRow).where(EventRow.ticket_id == ticket_id).order_by(col(EventRow.id))
        return [_to(r.Event, row) for row in self.session.exec(stmt)]

    def corrections(self) -> list[tuple[str, str]]:
        """(text, category) pairs staff taught the classifier with /改类 and /补单."""
        stmt = select(EventRow).where(col(EventRow.action).in_(["recategorized", "missed"])).order_by(col(EventRow.id))
        out = []
        for row in self.session.exec(stmt):
            data = json.loads(row.data or "{}")
            if data.get("text") and data.get("category"):
                out.append((str(data["text"]), str(data["category"])))
        return out

    def unmatched_messages(self, limit: int = 200) -> list[r.StoredMessage]:
        """Residents' messages that opened nothing (kept until their purge time): what `nlp report` lists."""
        stmt = (
            select(MessageRow)
            .where(
                col(MessageRow.ticket_id).is_(None),
                col(MessageRow.processed_at).is_not(None),
                MessageRow.kind == "text",
            )
            .order_by(col(MessageRow.id).desc())
            .limit(limit)
        )
        return [_message(m) for m in self.session.exec(stmt)]

    def events_between(self, start: datetime, end: datetime, actions: Sequence[str] | None = None) -> list[r.Event]:
        stmt = select(EventRow).where(EventRow.at >= start, EventRow.at < end)
        if actions is not None:
            stmt = stmt.where(col(EventRow.action).in_(list(actions)))
        return [_to(r.Event, row) for row in self.session.exec(stmt.order_by(col(EventRow.id)))]

    # -- outbox -------------------------------------------------------------------------

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
        if dedupe_key is not None:
            exists = self.session.exec(select(OutboxRow.id).where(OutboxRow.dedupe_key == dedupe_key)).first()
            if exists is not None:
                return False
        self.session.add(
            OutboxRow(
                chat_id=out.chat_id,
                text=out.text,
                mention_ids=" ".join(out.mention_ids),
                image_path=out.image_path,
                ticket_id=ticket_id,
                created_at=at,
                not_before=not_before or at,
                dedupe_key=dedupe_key,
            )
        )
        return True

    def claim_outbox(self, now: datetime, limit: int, owner: str = "") -> list[r.OutboxItem]:
        """Mark due rows as `sending` by `owner` before the send call (a crash mid-send is then visible)."""
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.state == "pending", OutboxRow.not_before <= now)
            .order_by(col(OutboxRow.not_before), col(OutboxRow.id))
            .limit(limit)
        )
        if self.postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(self.session.exec(stmt))
        for row in rows:
            row.state = "sending"
            row.owner = owner
            row.attempts += 1
            self.session.add(row)
        self.session.flush()
        return [_outbox(row) for row in rows]

    def finish_outbox(
        self, outbox_id: int, *, state: str, at: datetime, error: str = "", retry_at: datetime | None = None
    ) -> None:
        values: dict[str, Any] = {"state": state, "last_error": error[:500]}
        if state == "sent":
            values["sent_at"] = at
        if retry_at is not None:
            values["not_before"] = retry_at
        self.session.execute(update(OutboxRow).where(col(OutboxRow.id) == outbox_id).values(**values))

    def stranded_sends(self, lease: Lease) -> list[r.OutboxItem]:
        """Rows left `sending` by a process that died mid-send (never resent blindly); locked for this turn."""
        stmt = select(OutboxRow).where(OutboxRow.state == "sending").order_by(col(OutboxRow.id))
        if self.postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = self.session.exec(stmt).all()
        alive: dict[str, bool] = {}
        conn = self.session.connection()
        stranded = []
        for row in rows:
            if row.owner not in alive:
                alive[row.owner] = lease.is_alive(conn, row.owner)
            if not alive[row.owner]:
                stranded.append(_outbox(row))
        return stranded

    def outbox_items(self, states: Sequence[str] | None = None) -> list[r.OutboxItem]:
        stmt = select(OutboxRow).order_by(col(OutboxRow.id))
        if states is not None:
            stmt = stmt.where(col(OutboxRow.state).in_(list(states)))
        return [_outbox(row) for row in self.session.exec(stmt)]

    def next_outbox_time(self) -> datetime | None:
        stmt = select(func.min(OutboxRow.not_before)).where(OutboxRow.state == "pending")
        value = self.session.exec(stmt).one()
        return _as_utc(value) if value is not None else None

    def next_due_time(self) -> datetime | None:
        """The earliest moment anything time-driven is due: a ticket timer, a held post, a rating window."""
        candidates = [
            self.session.exec(select(func.min(TicketRow.next_due_at))).one(),
            self.session.exec(select(func.min(OutboxRow.not_before)).where(OutboxRow.state == "pending")).one(),
            self.session.exec(select(func.min(PendingRow.expires_at)).where(PendingRow.kind == "rating")).one(),
        ]
        times = [_as_utc(c) for c in candidates if c is not None]
        return min(times) if times else None

    # -- follow-ups, notices, groups, meta -----------------------------------------------

    def set_pending(
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
        same = delete(PendingRow).where(
            col(PendingRow.chat_id) == chat_id, col(PendingRow.person_id) == person_id, col(PendingRow.kind) == kind
        )
        if per_ticket:
            same = same.where(col(PendingRow.ticket_id) == ticket_id)
        self.session.execute(same)
        self.session.add(
            PendingRow(
                chat_id=chat_id,
                person_id=person_id,
                kind=kind,
                ticket_id=ticket_id,
                data=json.dumps(data or {}, ensure_ascii=False),
                created_at=at,
                expires_at=expires_at,
            )
        )

    def pending(self, chat_id: str, person_id: str, kind: str, now: datetime) -> r.Pending | None:
        found = self.pendings(chat_id, person_id, kind, now)
        return found[0] if found else None

    def pendings(self, chat_id: str, person_id: str, kind: str, now: datetime) -> list[r.Pending]:
        """A person's live follow-ups of one kind in one chat, newest first."""
        stmt = (
            select(PendingRow)
            .where(
                PendingRow.chat_id == chat_id,
                PendingRow.person_id == person_id,
                PendingRow.kind == kind,
                PendingRow.expires_at > now,
            )
            .order_by(col(PendingRow.id).desc())
        )
        return [_to(r.Pending, row) for row in self.session.exec(stmt)]

    def pendings_for_ticket(self, ticket_id: int, kind: str, now: datetime) -> list[r.Pending]:
        stmt = select(PendingRow).where(
            PendingRow.ticket_id == ticket_id, PendingRow.kind == kind, PendingRow.expires_at > now
        )
        return [_to(r.Pending, row) for row in self.session.exec(stmt)]

    def drop_pending(self, pending_id: int) -> None:
        self.session.execute(delete(PendingRow).where(col(PendingRow.id) == pending_id))

    def expired_pendings(self, kind: str, now: datetime) -> list[r.Pending]:
        stmt = select(PendingRow).where(PendingRow.kind == kind, PendingRow.expires_at <= now)
        return [_to(r.Pending, row) for row in self.session.exec(stmt)]

    def claim_notice(self, key: str, at: datetime) -> bool:
        """True the first time a key is claimed; False ever after (once-only notices)."""
        if self.session.get(NoticeRow, key) is not None:
            return False
        self.session.add(NoticeRow(key=key, at=at))
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def group(self, chat_id: str) -> r.Group | None:
        row = self.session.get(GroupRow, chat_id)
        return _to(r.Group, row) if row else None

    def upsert_group(
        self,
        chat_id: str,
        at: datetime,
        *,
        topic: str | None = None,
        grid_id: str | None = None,
        active: bool | None = None,
    ) -> r.Group:
        row = self.session.get(GroupRow, chat_id) or GroupRow(chat_id=chat_id, updated_at=at)
        if topic is not None:
            row.topic = topic
        if grid_id is not None:
            row.grid_id = grid_id
        if active is not None:
            row.active = active
        row.updated_at = at
        self.session.add(row)
        self.session.flush()
        return _to(r.Group, row)

    def groups(self) -> list[r.Group]:
        return [_to(r.Group, row) for row in self.session.exec(select(GroupRow).order_by(col(GroupRow.chat_id)))]

    def set_standin(self, person_id: str, by_id: str, until: datetime, *, set_by: str, at: datetime) -> None:
        self.session.execute(delete(StandInRow).where(col(StandInRow.person_id) == person_id))
        self.session.add(StandInRow(person_id=person_id, by_id=by_id, until=until, set_by=set_by, at=at))

    def standins(self, now: datetime) -> dict[str, str]:
        """Active stand-ins: absent person id → covering person id."""
        rows = self.session.exec(select(StandInRow).where(StandInRow.until > now)).all()
        return {row.person_id: row.by_id for row in rows}

    def meta(self, key: str) -> str | None:
        row = self.session.get(MetaRow, key)
        return row.value if row else None

    def set_meta(self, key: str, value: str) -> None:
        row = self.session.get(MetaRow, key) or MetaRow(key=key)
        row.value = value
        self.session.add(row)

    def counts(self) -> dict[str, int]:
        return {
            "messages": int(self.session.exec(select(func.count()).select_from(MessageRow)).one()),
            "tickets": int(self.session.exec(select(func.count()).select_from(TicketRow)).one()),
            "sent": int(self.session.exec(select(func.count()).where(OutboxRow.state == "sent")).one()),
        }


__all__ = ["Repo", "Store", "or_"]
