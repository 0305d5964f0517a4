"""Residents rate a resolved ticket; 不满意 reopens it at its level with a new deadline."""

from __future__ import annotations

import re
import unicodedata

from handlers import ladder, tickets
from handlers.deps import Deps
from handlers.outbound import private, reply
from storage import records as r
from storage.records import StoredMessage

SATISFIED, BASIC, UNSATISFIED = "satisfied", "basic", "unsatisfied"
RATING_NAMES = {SATISFIED: "满意", BASIC: "基本满意", UNSATISFIED: "不满意"}

_UNSATISFIED = re.compile(r"不满意|不太满意|没解决|没有解决|还是没|又开始|又来了|还在|依旧|依然|照样|没用|差评")
_BASIC = re.compile(r"基本满意|还行|一般|凑合|还可以")
_SATISFIED = re.compile(r"满意|好评|谢谢|感谢|辛苦|解决了|好的|可以了|没问题|👍")
_DIGIT = re.compile(r"^\s*([1-5])\s*(?:分|星)?\s*$")


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


def handle_rating(msg: StoredMessage, deps: Deps) -> bool:
    """True when the message was a rating of a ticket this resident was asked about."""
    pending = deps.repo.pending(msg.chat_id, msg.sender_id, "rating", deps.now)
    if pending is None or pending.ticket_id is None:
        return False
    verdict = parse_rating(msg.text)
    if verdict is None:
        return False
    ticket = deps.repo.ticket(pending.ticket_id, lock=True)
    deps.repo.drop_pending(pending.id)
    if ticket is None:
        return False
    tickets.event(
        deps, ticket, "rated", msg.sender_id, actor_name=msg.sender_name, note=RATING_NAMES[verdict], rating=verdict
    )
    if verdict == UNSATISFIED and ticket.state in (r.RESOLVED, r.CLOSED):
        reopen(deps, ticket, msg)
        return True
    if ticket.state == r.RESOLVED:
        tickets.update(deps, ticket, rating=verdict, state=r.CLOSED, closed_at=deps.now)
    else:
        tickets.update(deps, ticket, rating=verdict)
    return True


def reopen(deps: Deps, ticket: r.Ticket, msg: StoredMessage) -> r.Ticket:
    timers = ladder.timers_for_level(
        deps, ticket.level, ticket.category, deps.now, urgent=ticket.urgency == "urgent", accepted=True
    )
    ticket = tickets.update(
        deps, ticket, state=r.ACCEPTED, rating=UNSATISFIED, resolved_at=None, closed_at=None, **timers
    )
    tickets.event(deps, ticket, "reopened", msg.sender_id, actor_name=msg.sender_name, note=msg.text[:200])
    reply(
        deps,
        msg.chat_id,
        f"#{ticket.id} 已重新交给{tickets.holder_name(deps, ticket)}办理，会尽快给您答复。",
        [msg.sender_id],
        ticket_id=ticket.id,
    )
    private(deps, ticket.holder_id, f"#{ticket.id} 反映人不满意，已重新打开：{msg.text[:200]}", ticket_id=ticket.id)
    return ticket
