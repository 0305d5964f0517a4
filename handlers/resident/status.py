"""A resident asks how their report is going: one calm line per open ticket they reported (who holds it;
paused (/挂起), why and until when; resolved and not yet rated, the result and how to say it is not solved;
handed to 12345 lately, why and where to ask).

In a group, the tickets they reported in that group (a sensitive category's only privately, as
everything about it); in a private chat with the bot, all of theirs.
Without one, a message that is a complaint in its own right ("我上次说的路灯还没修好") is left to the
ordinary intake, so nothing is lost; otherwise they are told nothing is open and how to report.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.deps import Deps
from handlers.domain import outcomes, tickets
from handlers.domain.outbound import private, reply
from nlp.classifier import Classification
from storage.records import StoredMessage, Ticket
from storage.states import HELD_STATES, TicketState

# held, or resolved and waiting for their rating (after that it is closed: nothing left to ask about)
_ASKED_ABOUT = (*HELD_STATES, TicketState.RESOLVED)
_SHOWN = 3  # newest first; a resident with more open tickets than this is rare, and staff see them all


def _found(msg: StoredMessage, deps: Deps) -> list[Ticket]:
    """The tickets asked about, newest first: held or waiting for a rating, and a hand-over to 12345 for as
    long as a result waits for its rating (after that it is old news, and a complaint named in the question
    goes to intake again)."""
    chat_id = None if msg.is_private else msg.chat_id
    found = deps.uow.tickets.reported_by(msg.sender_id, states=_ASKED_ABOUT, chat_id=chat_id, limit=_SHOWN)
    recent = deps.now - timedelta(hours=deps.settings.rating_window_hours)
    referred = deps.uow.tickets.reported_by(
        msg.sender_id, states=(TicketState.REFERRED,), chat_id=chat_id, limit=_SHOWN
    )
    found += [t for t in referred if t.closed_at is not None and t.closed_at >= recent]
    return sorted(found, key=lambda t: t.id, reverse=True)[:_SHOWN]


def _line(deps: Deps, t: Ticket) -> str:
    fields = {"ticket": t.id, "category": tickets.category_name(deps, t)}
    if t.state == TicketState.RESOLVED:
        return deps.texts.status_resolved.format(**fields, result=outcomes.summary(deps, t))
    if t.state == TicketState.REFERRED:
        return deps.texts.status_referred.format(**fields, reason=t.result)
    if t.paused_at is not None and t.resume_at is not None:
        paused = [ev for ev in deps.uow.tickets.events(t.id) if ev.action == "paused"]
        return deps.texts.status_paused.format(
            **fields,
            reason=paused[-1].note if paused else "",
            until=f"{t.resume_at.astimezone(deps.settings.tz):%m-%d %H:%M}",
            holder=tickets.holder_name(deps, t),
        )
    return deps.texts.status_line.format(**fields, holder=tickets.holder_name(deps, t))


def answer(msg: StoredMessage, deps: Deps, verdict: Classification) -> bool:
    """True when the question was answered; False: handle the message as any other."""
    found = _found(msg, deps)
    if not found:
        if verdict.is_ticket and verdict.category != "other":
            return False  # a matter named in the question itself: intake registers it
        reply(deps, msg.chat_id, deps.texts.status_none, [msg.sender_id])
        return True
    shown: list[str] = []
    hidden: list[str] = []
    for t in found:
        line = _line(deps, t)
        cat = deps.settings.categories.get(t.category)
        # a sensitive category is never named in the group, as at its acknowledgement: told privately
        (hidden if not msg.is_private and cat is not None and cat.sensitive else shown).append(line)
    if shown:
        reply(deps, msg.chat_id, "\n".join(shown), [msg.sender_id], ticket_id=found[0].id)
    if hidden:
        private(deps, msg.sender_id, "\n".join(hidden))
    return True
