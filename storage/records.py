"""Domain records the repositories return. Handlers see these, never table rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.messages import MessageKind, OutgoingMessage
from storage.states import (
    ACTIVE_STATES,
    OPEN_LIKELY,
    ItemKind,
    ItemState,
    LikelyState,
    OutboxState,
    ReporterKind,
    TicketState,
)


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    community_id: str
    grid_id: str
    chat_id: str
    chat_topic: str
    reporter_id: str
    reporter_name: str
    category: str
    urgency: str
    state: TicketState
    level: int
    holder_id: str
    text: str
    result: str
    source_message_id: int | None
    merged_into: int | None
    created_at: datetime
    updated_at: datetime
    level_since: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    deadline_at: datetime | None
    ack_due_at: datetime | None
    remind_at: datetime | None
    promise_at: datetime | None
    overdue_at: datetime | None
    paused_at: datetime | None
    resume_at: datetime | None
    result_due_at: datetime | None
    next_due_at: datetime | None
    rating: str
    outcome: str  # storage.states.Outcome, "" while unresolved
    outcome_note: str
    version: int

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    ticket_id: int
    at: datetime
    actor_id: str
    actor_name: str
    action: str
    note: str
    data: str
    level: int


@dataclass(frozen=True, slots=True)
class Reporter:
    ticket_id: int
    chat_id: str
    chat_topic: str
    reporter_id: str
    reporter_name: str
    message_id: int | None
    kind: ReporterKind
    at: datetime


FLOOD_WINDOW = timedelta(minutes=1)  # limits.flood_per_minute counts a person's messages over this span


@dataclass(frozen=True, slots=True)
class StoredMessage:
    pk: int
    platform_id: str
    chat_id: str
    chat_topic: str
    sender_id: str
    sender_name: str
    text: str
    kind: MessageKind  # the neutral kind, as IncomingMessage has it
    ref: str
    quoted_id: str
    mentions: tuple[str, ...]
    mentions_bot: bool
    received_at: datetime
    processed_at: datetime | None
    ticket_id: int | None
    # the flood check's count (handlers/router.py), when the insert that stored the message counted it: the
    # sender's messages in the minute up to this one, this one included. None: count it when handled
    in_minute: int | None = None

    @property
    def is_private(self) -> bool:
        """A private chat with the bot (as IncomingMessage.is_private)."""
        return self.chat_id == self.sender_id


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    chat_id: str
    text: str
    mention_ids: tuple[str, ...]
    image_path: str
    ticket_id: int | None
    created_at: datetime
    not_before: datetime
    state: OutboxState
    attempts: int
    last_error: str
    sent_at: datetime | None
    dedupe_key: str | None = None  # a board post's key names its item (handlers/domain/board.py)
    account: str = ""  # the bot account that claimed it to send (#18)

    def message(self) -> OutgoingMessage:
        """The message to hand to the adapter, carrying its outbox row's id."""
        return OutgoingMessage(
            chat_id=self.chat_id,
            text=self.text,
            mention_ids=self.mention_ids,
            image_path=self.image_path,
            outbox_id=self.id,
        )


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    chat_id: str
    person_id: str
    kind: str
    ticket_id: int | None
    data: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Likely:
    id: int
    message_id: int
    chat_id: str
    chat_topic: str
    grid_id: str
    community_id: str
    worker_id: str
    reporter_id: str
    reporter_name: str
    text: str
    category: str
    urgency: str
    state: LikelyState
    created_at: datetime
    notify_at: datetime | None
    lapse_at: datetime | None
    decided_by: str
    decided_at: datetime | None
    ticket_id: int | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_LIKELY


@dataclass(frozen=True, slots=True)
class Group:
    chat_id: str
    topic: str
    grid_id: str
    active: bool


@dataclass(frozen=True, slots=True)
class BoardItem:
    """A notice, sign-up or poll (#20); `label` is how people name it (通知3, 接龙5)."""

    id: int
    kind: ItemKind
    number: int
    community_id: str
    author_id: str
    origin_chat: str
    title: str
    body: str
    scope: str
    urgent: bool
    state: ItemState
    fields: str
    capacity: int
    created_at: datetime
    window_until: datetime | None
    deadline_at: datetime | None
    list_at: datetime | None
    report_at: datetime | None
    closed_at: datetime | None
    outcome: str = ""  # a covenant consultation's tally (JSON), once closed
    picture: str = ""  # a notice's picture: its name in data_dir/media/ (storage/media.py)


@dataclass(frozen=True, slots=True)
class BoardGroup:
    item_id: int
    chat_id: str
    chat_topic: str
    post_key: str


@dataclass(frozen=True, slots=True)
class BoardEntry:
    id: int
    item_id: int
    chat_id: str
    person_id: str
    person_name: str
    value: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PostState:
    """Where one post stands in the outbox (a notice's delivery report reads these)."""

    state: OutboxState
    not_before: datetime
    error: str


@dataclass(frozen=True, slots=True)
class SpeakerLease:
    """Which bot account speaks (#18): `account` "" while nobody does; `beat` moves at every renewal."""

    account: str
    owner: str
    beat: int
    since: datetime
    note: str
