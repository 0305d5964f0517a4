"""Answers the bot asked for: 不是同一件事 (split a joined report)."""

from __future__ import annotations

import json
import re

from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.outbound import reply
from handlers.resident.intake import acknowledge, community_for, grid_of_chat
from handlers.resident.joining import undo_raise
from storage.records import StoredMessage

_NOT_SAME = re.compile(r"不是同一(件|个)?事|不是一回事|不是一件事|说的不是这个|not the same", re.IGNORECASE)


def split(msg: StoredMessage, deps: Deps) -> int | None:
    """不是同一件事: the resident's earlier message becomes a ticket of its own."""
    pending = deps.uow.followups.get(msg.chat_id, msg.sender_id, "split", deps.now)
    if pending is None or pending.ticket_id is None:
        reply(deps, msg.chat_id, deps.texts.split_nothing, [msg.sender_id])
        return None
    deps.uow.followups.drop(pending.id)
    joined = deps.uow.tickets.get(pending.ticket_id)
    data = json.loads(pending.data or "{}")
    original_pk = int(data.get("message", 0))
    urgency = "urgent" if data.get("urgency") == "urgent" else "normal"
    original = next((m for m in deps.uow.messages.of_ticket(pending.ticket_id) if m.pk == original_pk), None)
    if joined is None or original is None:
        reply(deps, msg.chat_id, deps.texts.split_nothing, [msg.sender_id])
        return None
    deps.uow.tickets.remove_reporter(joined.id, msg.sender_id)
    tickets.event(deps, joined, "split", msg.sender_id, actor_name=msg.sender_name, note="反映人说明不是同一件事")
    if urgency == "urgent":
        undo_raise(deps, joined, msg.sender_id)
    grid = grid_of_chat(deps, msg.chat_id)
    community = community_for(deps, grid)
    if community is None:
        return None
    ticket = tickets.open_ticket(
        deps,
        msg=original,
        chat_id=original.chat_id,
        chat_topic=original.chat_topic,
        reporter_id=original.sender_id,
        reporter_name=original.sender_name,
        text=original.text,
        category=joined.category,
        urgency=urgency,
        grid=grid,
        community=community,
    )
    deps.uow.messages.link(original.pk, ticket.id)
    if urgency == "urgent":
        acknowledge(deps, ticket, community)  # an emergency of its own: its own alarm, as on a first report
        return ticket.id
    reply(
        deps,
        msg.chat_id,
        deps.texts.split.format(
            ticket=ticket.id,
            category=tickets.category_name(deps, ticket),
            holder=tickets.holder_name(deps, ticket),
            promise_hours=f"{deps.settings.promise_hours:g}",
        ),
        [msg.sender_id, ticket.holder_id],
        ticket_id=ticket.id,
    )
    return ticket.id


def is_not_same(text: str) -> bool:
    return _NOT_SAME.search(text) is not None
