"""What callers hand the repositories to write: one type per write, so mypy checks every key.

A new row is a dataclass (its defaults are the table's); a change to a row is a `TypedDict` with
every key optional, because an update sets only the columns it names (and `None` is a value: it
clears a timer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypedDict

from storage.records import StoredMessage
from storage.states import Outcome, ReporterKind, TicketState


def columns(row: Any) -> dict[str, Any]:
    """A write dataclass as column values (shallow: `dataclasses.asdict` would copy every value)."""
    return {f.name: getattr(row, f.name) for f in fields(row)}


@dataclass(frozen=True, slots=True)
class NewTicket:
    community_id: str
    grid_id: str
    chat_id: str
    category: str
    state: TicketState
    holder_id: str
    created_at: datetime
    updated_at: datetime
    level_since: datetime
    level: int = 1
    chat_topic: str = ""
    reporter_id: str = ""
    reporter_name: str = ""
    urgency: str = "normal"
    text: str = ""
    result: str = ""
    source_message_id: int | None = None
    merged_into: int | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    deadline_at: datetime | None = None
    ack_due_at: datetime | None = None
    remind_at: datetime | None = None
    promise_at: datetime | None = None
    overdue_at: datetime | None = None
    paused_at: datetime | None = None
    resume_at: datetime | None = None
    result_due_at: datetime | None = None
    next_due_at: datetime | None = None
    rating: str = ""
    outcome: str = ""
    outcome_note: str = ""


class TicketUpdate(TypedDict, total=False):
    """The columns a change may set (`id` is the key, `version` counts the changes by itself)."""

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
    outcome: Outcome | str  # "" clears it when a ticket is reopened
    outcome_note: str


class TicketImport(TicketUpdate, total=False):
    """A row of a bulk import (benchmarks, another system's tickets): it may keep its number; a column it
    leaves out is NULL, so it names every column the table needs."""

    id: int
    version: int


class EventData(TypedDict, total=False):
    """The small JSON object of a timeline row; digests and points read `on_time` and `rating` back."""

    category: str  # created; recategorized / missed: the category taught
    urgency: str
    holder: str
    to: str  # who holds it after a transfer, an escalation, a move or a hand-over
    previous: str
    level_to: int
    grid: str
    target: int  # merged_into
    source: int  # merged
    public: bool  # progress posted to the group
    on_time: bool  # resolved
    outcome: str  # resolved: storage.states.Outcome
    left: str  # resolved as partial: what is left
    followup: int  # resolved as partial: the ticket that carries on with what is left
    followup_of: int  # created: the ticket whose leftover this one is
    referred_to: str  # resolved as unsolved: the body it was referred to
    rating: str  # rated: satisfied | basic | unsatisfied
    similarity: float  # joined
    kind: str  # evidence: the message kind
    file: str  # evidence: the name storage/media.py gave the picture or voice note the bot stored
    hours: float  # extension_requested / extended; resumed: how long the pause lasted
    until: str  # paused: when it resumes by itself at the latest
    limit_kind: str  # created: the time-limit kind of `ladder_preset` (emergency, utilities, general, complex)
    deadline: str
    text: str  # recategorized / missed: the resident's words, for the classifier
    was: str


@dataclass(frozen=True, slots=True)
class NewEvent:
    ticket_id: int
    action: str
    at: datetime
    actor_id: str = ""
    actor_name: str = ""
    note: str = ""
    level: int = 1
    data: EventData | None = None

    def columns(self) -> dict[str, Any]:
        values = columns(self)
        values["data"] = json.dumps(self.data, ensure_ascii=False) if self.data else ""
        return values


@dataclass(frozen=True, slots=True)
class NewReporter:
    ticket_id: int
    chat_id: str
    chat_topic: str
    reporter_id: str
    reporter_name: str
    kind: ReporterKind
    at: datetime
    message_id: int | None = None

    @classmethod
    def of_message(cls, ticket_id: int, msg: StoredMessage, kind: ReporterKind, at: datetime) -> NewReporter:
        """The person who wrote `msg`, in the chat they wrote it in."""
        return cls(ticket_id, msg.chat_id, msg.chat_topic, msg.sender_id, msg.sender_name, kind, at, msg.pk)
