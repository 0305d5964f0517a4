"""/挂起 1024 原因 and /恢复 1024: stop a ticket's clock while it waits on the resident or a third party (#21)."""

from __future__ import annotations

from handlers.commands.base import need_text, ticket_in_reach
from handlers.deps import Deps
from handlers.domain import pauses
from nlp.commands import Command
from storage.records import StoredMessage, Ticket


def _in_reporters_chat(deps: Deps, msg: StoredMessage, ticket: Ticket) -> bool:
    return deps.uow.tickets.reported_in(ticket.id, msg.chat_id)


async def cmd_pause(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    ticket = ticket_in_reach(cmd, msg, deps)
    reason = need_text(cmd, deps, "挂起原因", f"/挂起 {ticket.id} 住户不在家，约好周六上门")
    ticket = pauses.pause(deps, ticket, msg.sender_id, reason)
    if _in_reporters_chat(deps, msg, ticket):
        return None  # the group's own line ("#N 已挂起：…") is the answer there
    assert ticket.resume_at is not None
    until = f"{ticket.resume_at.astimezone(deps.settings.tz):%m-%d %H:%M}"
    return deps.texts.paused_ack.format(ticket=ticket.id, reason=reason, until=until)


async def cmd_resume(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    ticket = pauses.resume(deps, ticket_in_reach(cmd, msg, deps), msg.sender_id)
    if _in_reporters_chat(deps, msg, ticket):
        return None
    return deps.texts.resumed_ack.format(ticket=ticket.id, deadline=pauses.moved_deadline(deps, ticket))
