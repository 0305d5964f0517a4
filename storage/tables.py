"""SQLModel tables. Nothing outside storage/ imports this module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.settings_platform import SINGLE_ACCOUNT
from storage.types import UTCDateTime


def _ts(*, index: bool = False, nullable: bool = False) -> datetime:
    return Field(sa_column=Column(UTCDateTime(), index=index, nullable=nullable))


def _opt_ts(*, index: bool = False) -> datetime | None:
    return Field(default=None, sa_column=Column(UTCDateTime(), index=index, nullable=True))


class MessageRow(SQLModel, table=True):
    __tablename__ = "messages"
    id: int | None = Field(default=None, primary_key=True)
    platform_id: str = Field(unique=True, max_length=128)  # dedupe: the chat platform's message id
    chat_id: str = Field(index=True, max_length=128)
    chat_topic: str = ""
    sender_id: str = Field(max_length=128)
    sender_name: str = ""
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    kind: str = "text"
    ref: str = ""
    quoted_id: str = ""
    mentions: str = ""  # space-separated ids
    mentions_bot: bool = False
    received_at: datetime = _ts()
    processed_at: datetime | None = _opt_ts()
    ticket_id: int | None = Field(default=None, index=True)
    purge_after: datetime | None = _opt_ts(index=True)  # None: kept with its ticket
    # two bot accounts in the same groups (#18, migration 0015): the account that received it, what both
    # accounts see alike of a group message (storage/repos/messages.py), and the message it is the other
    # account's copy of (stored only so that a second delivery is known; never handled)
    account: str = Field(default="", sa_column=Column(String(64), nullable=False, server_default=""))
    fingerprint: str = Field(default="", sa_column=Column(String(40), nullable=False, server_default=""))
    twin_of: int | None = Field(default=None, index=True)

    __table_args__ = (
        Index("ix_messages_unprocessed", "processed_at", "id"),
        Index("ix_messages_sender_received", "sender_id", "received_at"),  # the flood check
        Index("ix_messages_fingerprint", "fingerprint", "received_at"),
    )


class TicketRow(SQLModel, table=True):
    __tablename__ = "tickets"
    id: int | None = Field(default=None, primary_key=True)  # the ticket number people type
    community_id: str = Field(index=True, max_length=64)
    grid_id: str = Field(index=True, max_length=64)
    chat_id: str = Field(index=True, max_length=128)  # the group it was reported in
    chat_topic: str = ""
    reporter_id: str = Field(default="", max_length=128)
    reporter_name: str = ""
    category: str = Field(index=True, max_length=32)
    urgency: str = "normal"
    state: str = Field(index=True, max_length=16)
    level: int = 1
    holder_id: str = Field(index=True, max_length=128)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    result: str = Field(default="", sa_column=Column(Text, nullable=False))
    source_message_id: int | None = None
    merged_into: int | None = Field(default=None, index=True)
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()
    level_since: datetime = _ts()
    first_response_at: datetime | None = _opt_ts()
    resolved_at: datetime | None = _opt_ts(index=True)
    closed_at: datetime | None = _opt_ts()
    deadline_at: datetime | None = _opt_ts()
    ack_due_at: datetime | None = _opt_ts()
    remind_at: datetime | None = _opt_ts()
    promise_at: datetime | None = _opt_ts()
    overdue_at: datetime | None = _opt_ts()  # the top level's deadline passed: named in digests
    # /挂起 (#21): since when the clock stands still, and when the pause ends by itself at the latest
    paused_at: datetime | None = _opt_ts()
    resume_at: datetime | None = _opt_ts()
    # `ladder_preset: beijing_12345`: the time to a result its kind allows; the ladder's deadlines keep inside it
    result_due_at: datetime | None = _opt_ts()
    # the earliest of the pending times above: the sweep reads only `next_due_at <= now`
    next_due_at: datetime | None = _opt_ts(index=True)
    rating: str = ""
    # 办结's outcome (storage.states.Outcome; "" while unresolved) and its detail: what is left of a
    # 部分解决, or the body a 无法解决 was referred to (migration 0010)
    # server defaults: a bulk import (TicketImport) that predates them leaves them out
    outcome: str = Field(default="", sa_column=Column(String(16), nullable=False, server_default=""))
    outcome_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    version: int = 0

    __table_args__ = (
        # one ticket per reporting message, even with several bot processes on one database
        Index("uq_tickets_source_message", "source_message_id", unique=True),
        # digests: one community's tickets reported / resolved in a period, and its open work
        Index("ix_tickets_community_created", "community_id", "created_at"),
        # points on PostgreSQL: a community's ticket ids without reading the rows (migration 0007)
        Index("ix_tickets_community_id_id", "community_id", "id"),
        Index("ix_tickets_community_resolved", "community_id", "resolved_at"),
        Index("ix_tickets_state_community", "state", "community_id"),
        # a group's recent tickets of one category, asked at every report that might join one (migration 0018)
        Index("ix_tickets_chat_category_created", "chat_id", "category", "created_at"),
        # the web overview: a period's tickets read from the index alone (no row lookups on SQLite)
        Index("ix_tickets_created_cover", "created_at", "community_id", "grid_id", "holder_id", "category", "state"),
        Index(
            "ix_tickets_resolved_cover",
            "resolved_at",
            "community_id",
            "grid_id",
            "holder_id",
            "state",
            "rating",
            "overdue_at",
        ),
    )


class LinkRow(SQLModel, table=True):
    """A person who reported a ticket: the origin, a joined duplicate, or a merged ticket's reporter."""

    __tablename__ = "ticket_reporters"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(index=True)
    chat_id: str = Field(max_length=128)
    chat_topic: str = ""
    reporter_id: str = Field(max_length=128)
    reporter_name: str = ""
    message_id: int | None = None
    kind: str = "origin"  # origin | joined | merged
    at: datetime = _ts()

    __table_args__ = (Index("ix_ticket_reporters_reporter", "reporter_id", "ticket_id"),)  # "我反映的事怎么样了"


class EventRow(SQLModel, table=True):
    """Every change to a ticket: its timeline and the audit log are the same rows."""

    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(index=True)
    at: datetime = _ts(index=True)
    actor_id: str = ""
    actor_name: str = ""
    action: str = Field(index=True, max_length=32)
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    data: str = ""  # small JSON object
    level: int = 1

    __table_args__ = (
        # digests and points: a ticket's escalations / resolutions, and one action's rows in a period
        # (with the actor, so points read who resolved from the index; `data` stays out: it can be long)
        Index("ix_events_ticket_action_cover", "ticket_id", "action", "id", "actor_id"),
        Index("ix_events_action_at_cover", "action", "at", "ticket_id", "actor_id"),
    )


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=128)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    mention_ids: str = ""  # space-separated
    image_path: str = ""
    ticket_id: int | None = None
    created_at: datetime = _ts()
    not_before: datetime = _ts()  # quiet hours hold a post until the morning
    state: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed | unknown
    attempts: int = 0
    last_error: str = ""
    sent_at: datetime | None = _opt_ts()
    dedupe_key: str | None = Field(default=None, unique=True, max_length=191)
    owner: str = Field(default="", max_length=64)  # the process that marked it `sending` (storage/leases.py)
    # the bot account that sent it (#18, migration 0015): each account's day is counted against its own limit
    account: str = Field(default="", sa_column=Column(String(64), nullable=False, server_default=""))

    __table_args__ = (Index("ix_outbox_due", "state", "not_before"), Index("ix_outbox_sent", "state", "sent_at"))


class SpeakerRow(SQLModel, table=True):
    """Which bot account speaks (#18): one row, the lease its holder renews (storage/repos/speaker.py)."""

    __tablename__ = "speaker"
    id: int | None = Field(default=None, primary_key=True)  # always 1
    account: str = Field(default="", max_length=64)  # "" while nobody holds it
    owner: str = Field(default="", max_length=64)  # the holding process (storage/leases.py's token)
    beat: int = 0  # +1 at every renewal: the others see it move, whatever their clocks say
    since: datetime = _ts()  # when this account took it
    note: str = ""  # while nobody holds it: the account that gave it up (a clean stop)


class PendingRow(SQLModel, table=True):
    """A follow-up the bot is waiting for (a rating, a split, a clarification), with a time-out."""

    __tablename__ = "pending"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: str = Field(max_length=128)
    person_id: str = Field(max_length=128)
    kind: str = Field(max_length=32)
    ticket_id: int | None = None
    data: str = ""
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)

    __table_args__ = (Index("ix_pending_lookup", "chat_id", "person_id", "kind"),)


class LikelyRow(SQLModel, table=True):
    """A resident's message that is likely a request: the grid worker registers or dismisses it."""

    __tablename__ = "likely_items"
    id: int | None = Field(default=None, primary_key=True)  # its own series: /登记 58 is this id
    message_id: int = Field(index=True)
    chat_id: str = Field(max_length=128)
    chat_topic: str = ""
    grid_id: str = Field(default="", max_length=64)
    community_id: str = Field(default="", max_length=64)
    worker_id: str = Field(max_length=128, index=True)
    reporter_id: str = Field(max_length=128)
    reporter_name: str = ""
    text: str = Field(default="", sa_column=Column(Text, nullable=False))  # kept for training (/忽略 teaches)
    category: str = Field(max_length=32)  # the classifier's best guess
    urgency: str = Field(default="normal", max_length=16)
    state: str = Field(default="waiting", max_length=16)
    created_at: datetime = _ts()
    notify_at: datetime | None = _opt_ts(index=True)  # None once it went out in a batch
    lapse_at: datetime | None = _opt_ts(index=True)  # None once decided or lapsed
    decided_by: str = ""
    decided_at: datetime | None = _opt_ts()
    ticket_id: int | None = None


class NoticeRow(SQLModel, table=True):
    """Once-only notices (a no-role answer per person per day, an unknown group's note)."""

    __tablename__ = "notices"
    key: str = Field(primary_key=True, max_length=191)
    at: datetime = _ts()


class GroupRow(SQLModel, table=True):
    __tablename__ = "groups"
    chat_id: str = Field(primary_key=True, max_length=128)
    topic: str = ""
    grid_id: str = ""  # bound at run time with /绑定; config's grids.groups win
    active: bool = True
    updated_at: datetime = _ts()


class IdentityRow(SQLModel, table=True):
    """Where a group or person the bot knows is now (#18 §3): WeChat's free protocol gives rooms and contacts new
    ids at every login. `key` is the stable id everything else stores (config's id or topic, or the first id
    seen); `platform_id` the id the platform uses this login. Only re-mapped keys have a row. One map per bot
    account (migration 0017): two accounts in one room may see it under two ids, each login its own."""

    __tablename__ = "identities"
    account: str = Field(
        default=SINGLE_ACCOUNT,
        sa_column=Column(String(64), primary_key=True, nullable=False, server_default=SINGLE_ACCOUNT),
    )
    kind: str = Field(primary_key=True, max_length=16)  # "group" | "person"
    key: str = Field(primary_key=True, max_length=128)
    platform_id: str = Field(index=True, max_length=128)
    updated_at: datetime = _ts()


class StandInRow(SQLModel, table=True):
    """Someone covering for a person on leave, set with /代班 (config `standins:` adds more)."""

    __tablename__ = "standins"
    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=128)
    by_id: str = Field(max_length=128)
    until: datetime = _ts()
    set_by: str = ""
    at: datetime = _ts()


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = ""


class DirectoryRow(SQLModel, table=True):
    """A change made on the web page to people, grids, groups, the duty roster or holidays (wins over config)."""

    __tablename__ = "directory_overrides"
    kind: str = Field(primary_key=True, max_length=16)  # person | grid | group | duty | holidays
    key: str = Field(primary_key=True, max_length=128)  # person id, grid id, chat id, or the kind again
    value: str = Field(default="", sa_column=Column(Text, nullable=False))  # JSON; {"removed": true} removes
    at: datetime = _ts()
    by_id: str = Field(default="", max_length=128)


class AdminEventRow(SQLModel, table=True):
    """Who changed what on the administration page, with the value before and after (JSON)."""

    __tablename__ = "admin_events"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    community_id: str = Field(default="", index=True, max_length=64)
    actor_id: str = Field(default="", max_length=128)
    actor_name: str = ""
    kind: str = Field(max_length=16)
    key: str = Field(max_length=128)
    before: str = Field(default="", sa_column=Column(Text, nullable=False))
    after: str = Field(default="", sa_column=Column(Text, nullable=False))


class BoardItemRow(SQLModel, table=True):
    """A notice (通知), sign-up (接龙) or poll (征求意见) posted in residents' groups (#20): never a ticket.

    `number` is the item's own series per kind (通知3, 接龙5). `report_at`, `list_at` and `deadline_at`
    are stored timers (the sweep reads them, `Store.next_due_time` sees them); each is cleared once acted on."""

    __tablename__ = "board_items"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # notice | signup | poll | covenant
    number: int = 0
    community_id: str = Field(default="", max_length=64)
    author_id: str = Field(max_length=128)
    origin_chat: str = Field(default="", max_length=128)  # where the command was typed (确认 is read there)
    title: str = ""
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    scope: str = ""  # the scope as typed
    urgent: bool = False
    state: str = Field(default="open", max_length=16)
    fields: str = ""  # a sign-up's fields, comma-separated
    capacity: int = 0  # a sign-up's limit (0: none)
    created_at: datetime = _ts(index=True)
    window_until: datetime | None = _opt_ts()  # replies in its groups are read as answers to it until then
    deadline_at: datetime | None = _opt_ts(index=True)
    list_at: datetime | None = _opt_ts(index=True)  # a sign-up's next list post
    report_at: datetime | None = _opt_ts(index=True)  # the delivery report to the author
    closed_at: datetime | None = _opt_ts()
    # a covenant consultation's tally once closed (JSON: for, against, cast), kept after the votes are emptied
    outcome: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # a notice's picture: the name storage/media.py gave the file (posted after the text), "" for none
    picture: str = Field(default="", sa_column=Column(String(64), nullable=False, server_default=""))

    __table_args__ = (UniqueConstraint("kind", "number", name="uq_board_items_kind_number"),)


class BoardGroupRow(SQLModel, table=True):
    """One group an item is posted in; its post's delivery is the outbox row with key `post_key`."""

    __tablename__ = "board_groups"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(index=True)
    chat_id: str = Field(max_length=128)
    chat_topic: str = ""
    post_key: str = Field(default="", max_length=191)

    # every resident's message in a group asks which open items were posted there (handlers/resident/answers.py)
    __table_args__ = (Index("ix_board_groups_chat", "chat_id", "item_id"),)


class BoardEntryRow(SQLModel, table=True):
    """A resident's answer to an item: a 收到, a sign-up line, a vote. One per person and item."""

    __tablename__ = "board_entries"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(index=True)
    chat_id: str = Field(max_length=128)
    person_id: str = Field(max_length=128)
    person_name: str = ""
    value: str = Field(default="", sa_column=Column(Text, nullable=False))  # a sign-up's fields (JSON)
    at: datetime = _ts()
    purge_after: datetime | None = _opt_ts(index=True)  # sign-up fields are not kept for ever

    __table_args__ = (UniqueConstraint("item_id", "person_id", name="uq_board_entries_item_person"),)


__all__ = [
    "AdminEventRow",
    "BoardEntryRow",
    "BoardGroupRow",
    "BoardItemRow",
    "DirectoryRow",
    "EventRow",
    "GroupRow",
    "LinkRow",
    "MessageRow",
    "MetaRow",
    "NoticeRow",
    "OutboxRow",
    "PendingRow",
    "StandInRow",
    "TicketRow",
    "UniqueConstraint",
]
