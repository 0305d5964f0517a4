"""Residents rate a result; 不满意 (or 还是没解决 / 又开始了 within the window) reopens the ticket.

After `/办结` (and 核查, where the category has it) every reporter has a `rating` follow-up per
ticket, open for `rating_window_hours`. A rating is accepted as people type it: 满意 / 基本满意 /
不满意, 1–5, a thank-you, with or without @网格助手, quoting the bot's result or not, and with
`#1024` when one person has several results to rate. A positive rating closes the ticket and
leaves a `reopen_watch` until the window ends, so "又开始了" a day later still reopens it.
No answer within the window is "no rating" (handlers/jobs/sweep.py), never "satisfied".
"""

from __future__ import annotations

import re
import unicodedata

from handlers.deps import Deps
from handlers.domain import ladder, tickets
from handlers.domain.outbound import private, reply
from storage import records as r
from storage.records import Pending, StoredMessage
from storage.states import TicketState

SATISFIED, BASIC, UNSATISFIED = "satisfied", "basic", "unsatisfied"
RATING_NAMES = {SATISFIED: "满意", BASIC: "基本满意", UNSATISFIED: "不满意"}
REOPEN_WATCH = "reopen_watch"

_UNSATISFIED = re.compile(
    r"不满意|不太满意|没解决|没有解决|未解决|还是没|又开始|又来了|又响|又坏|还在|依旧|依然|照样|没用|差评"
)
_BASIC = re.compile(r"基本满意|还行|一般|凑合|还可以")
_SATISFIED = re.compile(r"满意|好评|谢谢|感谢|辛苦|解决了|好的|可以了|没问题|👍")
_DIGIT = re.compile(r"^\s*([1-5])\s*(?:分|星)?\s*$")
# WeChat quotes as 「网格助手：…」 then a dashed rule, then the reply
_QUOTE = re.compile(r"^\s*[「“\"](?P<quoted>.*?)[」”\"]\s*\n\s*(?:[-—]\s*){3,}\n?(?P<reply>.*)$", re.S)
_MENTION = re.compile(r"@\S+?(?:\u2005|\s|$)")
_TICKET = re.compile(r"#\s*(\d{1,9})")


def parse_rating(text: str) -> str | None:
    folded = unicodedata.normalize("NFKC", text).strip()
    digit = _DIGIT.match(folded)
    if digit:
        score = int(digit.group(1))
        return SATISFIED if score >= 4 else BASIC if score == 3 else UNSATISFIED
    if _UNSATISFIED.search(folded):
        return UNSATISFIED
    if _BASIC.search(folded):
        return BASIC
    if _SATISFIED.search(folded) and len(folded) <= 30:
        return SATISFIED
    return None


def split_quote(text: str) -> tuple[str, str]:
    """(the quoted text, the reply) of a message WeChat folded a quote into; ("", text) for any other."""
    m = _QUOTE.match(text)
    return (m.group("quoted"), m.group("reply")) if m else ("", text)


def split_reply(text: str) -> tuple[str, int | None]:
    """(what the person wrote, the ticket number they named or quoted) from a raw message."""
    quoted, folded = split_quote(unicodedata.normalize("NFKC", text))
    folded = _MENTION.sub(" ", folded)
    number = _TICKET.search(folded) or _TICKET.search(quoted)
    body = _TICKET.sub(" ", folded).strip()
    return body, int(number.group(1)) if number else None


def _pick(pendings: list[Pending], number: int | None) -> Pending | None:
    if number is not None:
        return next((p for p in pendings if p.ticket_id == number), None)
    return pendings[0] if pendings else None


def handle_rating(msg: StoredMessage, deps: Deps) -> bool:
    """True when the message rated (or reopened) a ticket this resident was asked about."""
    body, number = split_reply(msg.text)
    verdict = parse_rating(body)
    if verdict is None:
        return False  # read first: most messages are no rating, and then nobody's follow-ups need a query
    found = deps.uow.followups.of_kinds(msg.chat_id, msg.sender_id, ("rating", REOPEN_WATCH), deps.now)
    asked, watching = found["rating"], found[REOPEN_WATCH]
    if not asked and not watching:
        return False
    pending = _pick(asked, number)
    if pending is None:
        watch = _pick(watching, number)
        if verdict != UNSATISFIED or watch is None or watch.ticket_id is None:
            return False  # a thank-you after rating is just a thank-you
        ticket = deps.uow.tickets.get(watch.ticket_id, lock=True)
        if ticket is None or ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED):
            return False
        reopen(deps, ticket, msg)
        return True
    if pending.ticket_id is None:
        return False
    ticket = deps.uow.tickets.get(pending.ticket_id, lock=True)
    deps.uow.followups.drop(pending.id)
    if ticket is None:
        return False
    tickets.event(
        deps, ticket, "rated", msg.sender_id, actor_name=msg.sender_name, note=RATING_NAMES[verdict], rating=verdict
    )
    if verdict == UNSATISFIED and ticket.state in (TicketState.RESOLVED, TicketState.CLOSED):
        reopen(deps, ticket, msg)
        return True
    deps.uow.followups.set_for_ticket(
        msg.chat_id, msg.sender_id, REOPEN_WATCH, ticket.id, at=deps.now, expires_at=pending.expires_at
    )
    if ticket.state == TicketState.RESOLVED:
        tickets.update(deps, ticket, rating=verdict, state=TicketState.CLOSED, closed_at=deps.now)
    else:
        tickets.update(deps, ticket, rating=verdict)
    return True


def reopen(deps: Deps, ticket: r.Ticket, msg: StoredMessage) -> r.Ticket:
    """Back to its holder at its level, with that level's deadline counted from now."""
    timers = ladder.timers_now(deps, ticket, ticket.level, accepted=True)
    ticket = tickets.update(
        deps, ticket, state=TicketState.ACCEPTED, rating=UNSATISFIED, resolved_at=None, closed_at=None, **timers
    )
    deps.uow.followups.drop_for_ticket(ticket.id, ("rating", REOPEN_WATCH))
    tickets.event(deps, ticket, "reopened", msg.sender_id, actor_name=msg.sender_name, note=msg.text[:200])
    holder = tickets.holder_name(deps, ticket)
    mention = [] if msg.is_private else [msg.sender_id]
    reply(
        deps,
        msg.chat_id,
        deps.texts.reopened_to_reporter.format(ticket=ticket.id, holder=holder),
        mention,
        ticket_id=ticket.id,
    )
    deadline = ticket.deadline_at.astimezone(deps.settings.tz).strftime("%m-%d %H:%M") if ticket.deadline_at else "-"
    private(
        deps,
        ticket.holder_id,
        deps.texts.reopened_to_holder.format(
            ticket=ticket.id, category=tickets.category_name(deps, ticket), deadline=deadline, text=msg.text[:200]
        ),
        ticket_id=ticket.id,
    )
    return ticket
