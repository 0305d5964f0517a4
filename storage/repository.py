"""The one repository API. Handlers work inside `store.begin()`: one transaction per turn.

Every method returns domain records (storage/records.py); no table row leaves this package. A
turn that raises rolls back whole, so a ticket, its event and its outgoing messages are stored
together or not at all.

The statements are SQLAlchemy Core, built once at import (or once per set of columns) and run on
the turn's connection: building an ORM statement and flushing a unit of work cost four to five
times the statement itself, paid on every message (bench/pipeline_replay.py). With no ORM objects
in the session there is no identity map to go stale between a read and a write.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Engine, Table, bindparam, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import Select
from sqlmodel import Session, SQLModel

from bot.core.messages import IncomingMessage, OutgoingMessage
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


def _ticket(row: Any) -> r.Ticket:
    return _to(r.Ticket, row)


def _message(row: Any) -> r.StoredMessage:
    return _to(r.StoredMessage, row, pk=row.id, mentions=tuple(row.mentions.split()))


def _outbox(row: Any, **now: Any) -> r.OutboxItem:
    return _to(r.OutboxItem, row, mention_ids=tuple(row.mention_ids.split()), **now)


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

    def peek(self, stmt: Any, params: Mapping[str, Any] | None = None) -> list[Any]:
        """A read outside any turn (a version number, the next due time): a pooled connection, no session.
        What it returns may be stale a moment later; callers use it only to decide whether to look closer."""
        with self.engine.connect() as conn:
            return list(conn.execute(stmt, params))

    def meta(self, key: str) -> str | None:
        rows = self.peek(META_VALUE, {"key": key})
        return str(rows[0][0]) if rows else None

    def next_due_time(self) -> datetime | None:
        """The earliest moment anything time-driven is due: a ticket timer, a held post, a rating window."""
        return _next_due(self.peek(NEXT_DUE)[0])

    def dispose(self) -> None:
        self.lease.release()
        self.engine.dispose()


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


MESSAGES, TICKETS, OUTBOX = _table(MessageRow), _table(TicketRow), _table(OutboxRow)
EVENTS, LINKS, PENDING = _table(EventRow), _table(LinkRow), _table(PendingRow)
NOTICES, GROUPS, STANDINS, META = _table(NoticeRow), _table(GroupRow), _table(StandInRow), _table(MetaRow)
M, T_, OB, P = MESSAGES.c, TICKETS.c, OUTBOX.c, PENDING.c


@cache
def _defaults(table: Table) -> dict[str, Any]:
    """The model's field defaults (SQLModel keeps them on the model, not on the columns)."""
    model = next(m for m in SQLModel.__subclasses__() if getattr(m, "__table__", None) is table)
    out = {}
    for name, info in model.model_fields.items():
        if name == "id" or info.default is PydanticUndefined:
            continue
        out[name] = info.default
    return out


@cache
def _insert(table: Table, postgres: bool, conflict: str = "") -> Insert:
    """INSERT … RETURNING the key; with `conflict` (a unique column), a row that exists is left alone
    and nothing is returned (rowcount is not reliable for that on every driver)."""
    if conflict:
        stmt: Insert = (postgresql.insert if postgres else sqlite.insert)(table).on_conflict_do_nothing(
            index_elements=[conflict]
        )
    else:
        stmt = insert(table)
    return stmt.returning(*table.primary_key.columns)


@cache
def _update_by_id(table: Table, returning: bool = False, bump_version: bool = False) -> Update:
    """UPDATE … WHERE id = :_id; the SET columns are the keys of the parameters it runs with."""
    stmt = update(table).where(table.c.id == bindparam("_id"))
    if bump_version:
        stmt = stmt.values(version=table.c.version + 1)
    return stmt.returning(*table.c) if returning else stmt


def _for_update(stmt: Select[Any], postgres: bool, *, skip_locked: bool = False) -> Select[Any]:
    return stmt.with_for_update(skip_locked=skip_locked) if postgres else stmt


MESSAGE_BY_PLATFORM_ID = select(MESSAGES).where(M.platform_id == bindparam("platform_id"))
UNPROCESSED_MESSAGE = select(MESSAGES).where(M.id == bindparam("pk"), M.processed_at.is_(None))
MESSAGES_SINCE = (
    select(func.count())
    .select_from(MESSAGES)
    .where(M.sender_id == bindparam("sender_id"), M.received_at >= bindparam("since"))
)
TICKET_BY_ID = select(TICKETS).where(T_.id == bindparam("id"))
DUE_TICKET = select(TICKETS).where(
    T_.id == bindparam("id"), T_.next_due_at.is_not(None), T_.next_due_at <= bindparam("now")
)
DUE_TICKET_IDS = (
    select(T_.id)
    .where(T_.next_due_at.is_not(None), T_.next_due_at <= bindparam("now"))
    .order_by(T_.next_due_at)
    .limit(bindparam("limit"))
)
OUTBOX_DUE = (
    select(OUTBOX)
    .where(OB.state == "pending", OB.not_before <= bindparam("now"))
    .order_by(OB.not_before, OB.id)
    .limit(bindparam("limit"))
)
OUTBOX_BY_KEY = select(OB.id).where(OB.dedupe_key == bindparam("key"))
PENDINGS = (
    select(PENDING)
    .where(
        P.chat_id == bindparam("chat_id"),
        P.person_id == bindparam("person_id"),
        P.kind == bindparam("kind"),
        P.expires_at > bindparam("now"),
    )
    .order_by(P.id.desc())
)
NEXT_DUE = select(
    select(func.min(T_.next_due_at)).scalar_subquery(),
    select(func.min(OB.not_before)).where(OB.state == "pending").scalar_subquery(),
    select(func.min(P.expires_at)).where(P.kind == "rating").scalar_subquery(),
)
META_VALUE = select(META.c.value).where(META.c.key == bindparam("key"))
STANDINS_NOW = select(STANDINS.c.person_id, STANDINS.c.by_id).where(STANDINS.c.until > bindparam("now"))
GROUP_BY_ID = select(GROUPS).where(GROUPS.c.chat_id == bindparam("chat_id"))


def _next_due(candidates: Sequence[Any]) -> datetime | None:
    times = [_as_utc(c) for c in candidates if c is not None]
    return min(times) if times else None


class Repo:
    def __init__(self, session: Session, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    def _run(self, stmt: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> Any:
        return self.session.connection().execute(stmt, params)

    def _add(self, table: Table, values: Mapping[str, Any], *, conflict: str = "") -> Any:
        """Insert one row with the model's defaults filled in; its key (None: `conflict` kept an existing row)."""
        found = self._run(_insert(table, self.postgres, conflict), {**_defaults(table), **values}).first()
        return found[0] if found is not None else None

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
        """Store a message unless its platform id is known. Returns (record, is_new).

        One INSERT … ON CONFLICT DO NOTHING: a message another process stored first (or is storing: the
        insert waits for its transaction) is recognised by the unique platform id, without a read first."""
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
        }
        pk = self._add(MESSAGES, values, conflict="platform_id")
        if pk is None:  # known already
            existing = self._run(MESSAGE_BY_PLATFORM_ID, {"platform_id": msg.message_id}).one()
            return _message(existing), False
        stored = r.StoredMessage(
            pk=int(pk),
            platform_id=msg.message_id,
            chat_id=msg.chat_id,
            chat_topic=msg.chat_topic,
            sender_id=msg.sender_id,
            sender_name=msg.sender_name,
            text=msg.text,
            kind=str(msg.kind),
            ref=msg.ref,
            quoted_id=msg.quoted_id,
            mentions=tuple(msg.mentions),
            mentions_bot=msg.mentions_bot,
            received_at=msg.timestamp,
            processed_at=None,
            ticket_id=None,
        )
        return stored, True

    def claim_message(self, pk: int) -> r.StoredMessage | None:
        """Lock an unprocessed message for this turn (None: done already, or another process has it)."""
        stmt = _for_update(UNPROCESSED_MESSAGE, self.postgres, skip_locked=True)
        row = self._run(stmt, {"pk": pk}).first()
        return _message(row) if row else None

    def lock_chat(self, chat_id: str) -> None:
        """PostgreSQL: serialise turns of one chat across processes (joins and splits see each other)."""
        if self.postgres:
            self._run(text("SELECT pg_advisory_xact_lock(7311, hashtext(:chat))"), {"chat": chat_id})

    def mark_processed(self, pk: int, at: datetime, ticket_id: int | None = None) -> None:
        values: dict[str, Any] = {"_id": pk, "processed_at": at}
        if ticket_id is not None:
            values["ticket_id"] = ticket_id
            values["purge_after"] = None  # ticket texts are kept with the ticket
        self._run(_update_by_id(MESSAGES), values)

    def link_message(self, pk: int, ticket_id: int) -> None:
        self._run(_update_by_id(MESSAGES), {"_id": pk, "ticket_id": ticket_id, "purge_after": None})

    def unprocessed_messages(self, limit: int = 1000) -> list[r.StoredMessage]:
        stmt = select(MESSAGES).where(M.processed_at.is_(None)).order_by(M.id).limit(limit)
        return [_message(m) for m in self._run(stmt)]

    def message_by_platform_id(self, platform_id: str) -> r.StoredMessage | None:
        row = self._run(MESSAGE_BY_PLATFORM_ID, {"platform_id": platform_id}).first()
        return _message(row) if row else None

    def recent_messages(self, chat_id: str, sender_id: str, since: datetime) -> list[r.StoredMessage]:
        stmt = (
            select(MESSAGES)
            .where(M.chat_id == chat_id, M.sender_id == sender_id, M.received_at >= since)
            .order_by(M.id.desc())
        )
        return [_message(m) for m in self._run(stmt)]

    def count_messages_since(self, sender_id: str, since: datetime) -> int:
        return int(self._run(MESSAGES_SINCE, {"sender_id": sender_id, "since": since}).scalar_one())

    def purge_messages(self, now: datetime) -> int:
        """Residents' words that opened nothing are kept only until their purge time."""
        result = self._run(
            MESSAGES.delete().where(
                M.purge_after.is_not(None),
                M.purge_after <= now,
                M.ticket_id.is_(None),
                M.processed_at.is_not(None),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def last_message_time(self) -> datetime | None:
        value = self._run(select(func.max(M.received_at))).scalar_one()
        return _as_utc(value) if value is not None else None

    def messages_of_ticket(self, ticket_id: int) -> list[r.StoredMessage]:
        stmt = select(MESSAGES).where(M.ticket_id == ticket_id).order_by(M.id)
        return [_message(m) for m in self._run(stmt)]

    # -- tickets ------------------------------------------------------------------------

    def create_ticket(self, **values: Any) -> r.Ticket:
        created = self.ticket(int(self._add(TICKETS, values)))
        assert created is not None
        return created

    def insert_tickets(self, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk insert (imports, benchmarks): one executemany, no per-row round trips."""
        self._insert_many(TICKETS, rows)

    def insert_events(self, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk insert of timeline rows (imports, benchmarks); `data` is a JSON string here."""
        self._insert_many(EVENTS, rows)

    def _insert_many(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """One executemany; rows may name different columns (a column a row leaves out is NULL)."""
        if rows:
            keys = list(dict.fromkeys(key for row in rows for key in row))
            self._run(insert(table), [{key: row.get(key) for key in keys} for row in rows])

    def ticket(self, ticket_id: int, *, lock: bool = False) -> r.Ticket | None:
        stmt = _for_update(TICKET_BY_ID, self.postgres and lock)
        row = self._run(stmt, {"id": ticket_id}).first()
        return _ticket(row) if row else None

    def update_ticket(self, ticket_id: int, **changes: Any) -> r.Ticket:
        unknown = [key for key in changes if key not in T_ or key in ("id", "version")]
        if unknown:
            raise AttributeError(f"tickets has no column {unknown[0]!r}")
        row = self._run(
            _update_by_id(TICKETS, returning=True, bump_version=True), {"_id": ticket_id, **changes}
        ).first()
        if row is None:
            raise KeyError(ticket_id)
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
        stmt = select(TICKETS)
        if states is not None:
            stmt = stmt.where(T_.state.in_(list(states)))
        if holder_id is not None:
            stmt = stmt.where(T_.holder_id == holder_id)
        if grid_ids is not None:
            stmt = stmt.where(T_.grid_id.in_(list(grid_ids)))
        if community_id is not None:
            stmt = stmt.where(T_.community_id == community_id)
        if chat_id is not None:
            stmt = stmt.where(T_.chat_id == chat_id)
        if category is not None:
            stmt = stmt.where(T_.category == category)
        if since is not None:
            stmt = stmt.where(T_.created_at >= since)
        stmt = stmt.order_by(T_.deadline_at.asc(), T_.id) if order_by_deadline else stmt.order_by(T_.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_ticket(t) for t in self._run(stmt)]

    def groups_written_in(self, sender_id: str, limit: int = 50) -> list[str]:
        """The group chats this person wrote in, most recent message first (repeats included)."""
        stmt = (
            select(M.chat_id)
            .where(M.sender_id == sender_id, M.chat_id != sender_id)
            .order_by(M.received_at.desc())
            .limit(limit)
        )
        return [str(c) for c in self._run(stmt).scalars()]

    def tickets_reported_by(
        self, reporter_id: str, *, states: Sequence[str], chat_id: str | None = None, limit: int = 3
    ) -> list[r.Ticket]:
        """Tickets this person reported (first, joined or merged in), in `chat_id` if given; newest first."""
        mine = select(LINKS.c.ticket_id).where(LINKS.c.reporter_id == reporter_id)
        if chat_id is not None:
            mine = mine.where(LINKS.c.chat_id == chat_id)
        stmt = select(TICKETS).where(T_.id.in_(mine), T_.state.in_(list(states))).order_by(T_.id.desc()).limit(limit)
        return [_ticket(t) for t in self._run(stmt)]

    def due_ticket_ids(self, now: datetime, limit: int = 500) -> list[int]:
        """Ids of tickets with something due, earliest first."""
        return [int(i) for i in self._run(DUE_TICKET_IDS, {"now": now, "limit": limit}).scalars() if i is not None]

    def lock_due_ticket(self, ticket_id: int, now: datetime) -> r.Ticket | None:
        """Lock one due ticket for this turn; None if it is no longer due or another process holds it."""
        stmt = _for_update(DUE_TICKET, self.postgres, skip_locked=True)
        row = self._run(stmt, {"id": ticket_id, "now": now}).first()
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
        self._add(LINKS, {"ticket_id": ticket_id, "kind": kind, "at": at, **who})

    def reporters(self, ticket_id: int) -> list[r.Reporter]:
        stmt = select(LINKS).where(LINKS.c.ticket_id == ticket_id).order_by(LINKS.c.id)
        return [_to(r.Reporter, row) for row in self._run(stmt)]

    def move_reporters(self, from_ticket: int, to_ticket: int) -> None:
        self._run(update(LINKS).where(LINKS.c.ticket_id == from_ticket).values(ticket_id=to_ticket, kind="merged"))

    def remove_reporter(self, ticket_id: int, reporter_id: str) -> None:
        self._run(
            LINKS.delete().where(
                LINKS.c.ticket_id == ticket_id, LINKS.c.reporter_id == reporter_id, LINKS.c.kind == "joined"
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
        self._add(
            EVENTS,
            {
                "ticket_id": ticket_id,
                "action": action,
                "at": at,
                "actor_id": actor_id,
                "actor_name": actor_name,
                "note": note,
                "level": level,
                "data": json.dumps(data, ensure_ascii=False) if data else "",
            },
        )

    def events(self, ticket_id: int) -> list[r.Event]:
        stmt = select(EVENTS).where(EVENTS.c.ticket_id == ticket_id).order_by(EVENTS.c.id)
        return [_to(r.Event, row) for row in self._run(stmt)]

    def corrections(self) -> list[tuple[str, str]]:
        """(text, category) pairs staff taught the classifier with /改类 and /补单."""
        stmt = select(EVENTS.c.data).where(EVENTS.c.action.in_(["recategorized", "missed"])).order_by(EVENTS.c.id)
        out = []
        for raw in self._run(stmt).scalars():
            data = json.loads(raw or "{}")
            if data.get("text") and data.get("category"):
                out.append((str(data["text"]), str(data["category"])))
        return out

    def unmatched_messages(self, limit: int = 200) -> list[r.StoredMessage]:
        """Residents' messages that opened nothing (kept until their purge time): what `nlp report` lists."""
        stmt = (
            select(MESSAGES)
            .where(M.ticket_id.is_(None), M.processed_at.is_not(None), M.kind == "text")
            .order_by(M.id.desc())
            .limit(limit)
        )
        return [_message(m) for m in self._run(stmt)]

    def events_between(self, start: datetime, end: datetime, actions: Sequence[str] | None = None) -> list[r.Event]:
        stmt = select(EVENTS).where(EVENTS.c.at >= start, EVENTS.c.at < end)
        if actions is not None:
            stmt = stmt.where(EVENTS.c.action.in_(list(actions)))
        return [_to(r.Event, row) for row in self._run(stmt.order_by(EVENTS.c.id))]

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
        # a key another process queued at the same moment is a no-op too, not a failed turn
        return self._add(OUTBOX, values, conflict="dedupe_key" if dedupe_key is not None else "") is not None

    def claim_outbox(self, now: datetime, limit: int, owner: str = "") -> list[r.OutboxItem]:
        """Mark due rows as `sending` by `owner` before the send call (a crash mid-send is then visible)."""
        stmt = _for_update(OUTBOX_DUE, self.postgres, skip_locked=True)
        rows = self._run(stmt, {"now": now, "limit": limit}).all()
        if rows:
            claimed = [
                {"_id": row.id, "state": "sending", "owner": owner, "attempts": row.attempts + 1} for row in rows
            ]
            self._run(_update_by_id(OUTBOX), claimed)
        return [
            _outbox(row, state="sending", attempts=row.attempts + 1)  # as the row now says
            for row in rows
        ]

    def finish_outbox(
        self, outbox_id: int, *, state: str, at: datetime, error: str = "", retry_at: datetime | None = None
    ) -> None:
        values: dict[str, Any] = {"_id": outbox_id, "state": state, "last_error": error[:500]}
        if state == "sent":
            values["sent_at"] = at
        if retry_at is not None:
            values["not_before"] = retry_at
        self._run(_update_by_id(OUTBOX), values)

    def stranded_sends(self, lease: Lease) -> list[r.OutboxItem]:
        """Rows left `sending` by a process that died mid-send (never resent blindly); locked for this turn."""
        stmt = _for_update(select(OUTBOX).where(OB.state == "sending").order_by(OB.id), self.postgres, skip_locked=True)
        rows = self._run(stmt).all()
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
        stmt = select(OUTBOX).order_by(OB.id)
        if states is not None:
            stmt = stmt.where(OB.state.in_(list(states)))
        return [_outbox(row) for row in self._run(stmt)]

    def next_outbox_time(self) -> datetime | None:
        value = self._run(select(func.min(OB.not_before)).where(OB.state == "pending")).scalar_one()
        return _as_utc(value) if value is not None else None

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
        same = PENDING.delete().where(P.chat_id == chat_id, P.person_id == person_id, P.kind == kind)
        if per_ticket:
            same = same.where(P.ticket_id == ticket_id)
        self._run(same)
        self._add(
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

    def pending(self, chat_id: str, person_id: str, kind: str, now: datetime) -> r.Pending | None:
        found = self.pendings(chat_id, person_id, kind, now)
        return found[0] if found else None

    def pendings(self, chat_id: str, person_id: str, kind: str, now: datetime) -> list[r.Pending]:
        """A person's live follow-ups of one kind in one chat, newest first."""
        params = {"chat_id": chat_id, "person_id": person_id, "kind": kind, "now": now}
        return [_to(r.Pending, row) for row in self._run(PENDINGS, params)]

    def pendings_for_ticket(self, ticket_id: int, kind: str, now: datetime) -> list[r.Pending]:
        stmt = select(PENDING).where(P.ticket_id == ticket_id, P.kind == kind, P.expires_at > now)
        return [_to(r.Pending, row) for row in self._run(stmt)]

    def drop_pending(self, pending_id: int) -> None:
        self._run(PENDING.delete().where(P.id == pending_id))

    def expired_pendings(self, kind: str, now: datetime) -> list[r.Pending]:
        stmt = select(PENDING).where(P.kind == kind, P.expires_at <= now)
        return [_to(r.Pending, row) for row in self._run(stmt)]

    def claim_notice(self, key: str, at: datetime) -> bool:
        """True the first time a key is claimed; False ever after (once-only notices)."""
        return self._add(NOTICES, {"key": key, "at": at}, conflict="key") is not None

    def group(self, chat_id: str) -> r.Group | None:
        row = self._run(GROUP_BY_ID, {"chat_id": chat_id}).first()
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
        changes: dict[str, Any] = {"updated_at": at}
        if topic is not None:
            changes["topic"] = topic
        if grid_id is not None:
            changes["grid_id"] = grid_id
        if active is not None:
            changes["active"] = active
        if self._add(GROUPS, {"chat_id": chat_id, **changes}, conflict="chat_id") is None:
            self._run(update(GROUPS).where(GROUPS.c.chat_id == chat_id).values(**changes))
        group = self.group(chat_id)
        assert group is not None
        return group

    def groups(self) -> list[r.Group]:
        return [_to(r.Group, row) for row in self._run(select(GROUPS).order_by(GROUPS.c.chat_id))]

    def set_standin(self, person_id: str, by_id: str, until: datetime, *, set_by: str, at: datetime) -> None:
        self._run(STANDINS.delete().where(STANDINS.c.person_id == person_id))
        self._add(STANDINS, {"person_id": person_id, "by_id": by_id, "until": until, "set_by": set_by, "at": at})

    def standins(self, now: datetime) -> dict[str, str]:
        """Active stand-ins: absent person id → covering person id."""
        return {str(p): str(b) for p, b in self._run(STANDINS_NOW, {"now": now})}

    def meta(self, key: str) -> str | None:
        value = self._run(META_VALUE, {"key": key}).scalar_one_or_none()
        return str(value) if value is not None else None

    def set_meta(self, key: str, value: str) -> None:
        if self._add(META, {"key": key, "value": value}, conflict="key") is None:
            self._run(update(META).where(META.c.key == key).values(value=value))

    def counts(self) -> dict[str, int]:
        one = self._run(
            select(
                select(func.count()).select_from(MESSAGES).scalar_subquery(),
                select(func.count()).select_from(TICKETS).scalar_subquery(),
                select(func.count()).select_from(OUTBOX).where(OB.state == "sent").scalar_subquery(),
            )
        ).one()
        return {"messages": int(one[0]), "tickets": int(one[1]), "sent": int(one[2])}


__all__ = ["Repo", "Store"]
