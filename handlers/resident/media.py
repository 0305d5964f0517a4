"""Non-text messages: voice (ask for words, tell the worker), photos and locations (evidence), recalls."""

from __future__ import annotations

from datetime import timedelta

from bot.core.messages import MessageKind
from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.outbound import private, reply
from handlers.resident.intake import grid_of_chat
from storage.media import stored_name
from storage.records import StoredMessage
from storage.states import FINAL_STATES
from storage.writes import EventData

EVIDENCE_WINDOW = timedelta(minutes=30)


def voice(msg: StoredMessage, deps: Deps) -> None:
    if msg.is_private:
        reply(deps, msg.chat_id, deps.texts.voice_reply)
        return None
    reply(deps, msg.chat_id, deps.texts.voice_reply, [msg.sender_id])
    grid = grid_of_chat(deps, msg.chat_id)
    if grid is not None:
        private(
            deps,
            grid.workers[0],
            deps.texts.voice_forward.format(
                chat=msg.chat_topic, reporter=msg.sender_name, ref=msg.ref or msg.platform_id
            ),
        )
    return None


def evidence(msg: StoredMessage, deps: Deps) -> int | None:
    """A photo or location right after (or quoting) a complaint is attached to its ticket."""
    target: int | None = None
    if msg.quoted_id:
        quoted = deps.uow.messages.by_platform_id(msg.quoted_id)
        target = quoted.ticket_id if quoted else None
    if target is None:
        for earlier in deps.uow.messages.recent(msg.chat_id, msg.sender_id, deps.now - EVIDENCE_WINDOW):
            if earlier.ticket_id is not None:
                target = earlier.ticket_id
                break
    if target is None:
        return None
    ticket = deps.uow.tickets.get(target)
    if ticket is None or ticket.state in FINAL_STATES:
        return None
    # a location is its text and nothing more; only a file the bot stored itself is ever served
    stored = stored_name(msg.ref) if msg.kind in (MessageKind.IMAGE, MessageKind.VOICE) else ""
    data: EventData = {"kind": msg.kind, "file": stored} if stored else {"kind": msg.kind}
    note = msg.ref or msg.platform_id
    tickets.event(deps, ticket, "evidence", msg.sender_id, actor_name=msg.sender_name, note=note, **data)
    return ticket.id


def recall(msg: StoredMessage, deps: Deps) -> None:
    original = deps.uow.messages.by_platform_id(msg.ref) if msg.ref else None
    if original is None or original.ticket_id is None:
        return None
    ticket = deps.uow.tickets.get(original.ticket_id, lock=True)
    if ticket is None or ticket.state in FINAL_STATES or ticket.source_message_id != original.pk:
        return None
    tickets.cancel_on_recall(deps, ticket, msg.sender_id)
    return None
