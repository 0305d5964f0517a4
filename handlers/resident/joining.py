"""A report about a matter already open in the group joins that ticket instead of opening another.

Whether it is the same matter is nlp.matter's decision (the same thing in the same place); this module
picks the candidates, records the join and tells the resident. An emergency about the same thing as an
ordinary open ticket joins it and raises it to urgent, with the alarm a new urgent ticket would sound.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Unpack

from bot.core.settings import Community
from handlers.deps import Deps
from handlers.domain import ladder, pauses, tickets
from handlers.domain.outbound import reply
from handlers.resident import alarm
from nlp.matter import Match, compare, matter_of
from storage import records as r
from storage.records import StoredMessage
from storage.states import ACTIVE_STATES, ReporterKind
from storage.writes import EventData, NewReporter

# The resident who opened a ticket, writing again this soon, is adding to it even in words that name
# neither the thing nor the place ("快来人啊，怎么还没人来").
SAME_REPORTER_MINUTES = 30


def join_duplicate(
    msg: StoredMessage, deps: Deps, category: str, urgency: str, community: Community, lang: str = "zh"
) -> int | None:
    """Same group and category, the same matter, within the window: one ticket, several reporters.

    An emergency joins an urgent ticket only within `dedupe.urgent_window_minutes` of it becoming urgent
    (ten neighbours smelling the same gas make one alarm, a fire the next morning is a new one); it joins
    an ordinary ticket about the same thing within `dedupe.window_hours` and makes it urgent.
    """
    urgent = urgency == "urgent"
    found = _best(msg, deps, _candidates(msg, deps, category, urgent=urgent), urgent=urgent)
    if found is None:
        return None
    match, ticket = found
    raising = urgent and ticket.urgency != "urgent"
    again = deps.uow.tickets.has_reporter(ticket.id, msg.sender_id)
    if again and not raising:
        return ticket.id  # the same person saying it again: quietly part of the same ticket
    if not again:
        _record_join(msg, deps, ticket, match, urgency)
    english, texts = lang == "en", deps.texts  # a resident who wrote in English is answered in English
    name = deps.settings.category_name(ticket.category, lang) if english else tickets.category_name(deps, ticket)
    fields = {"ticket": ticket.id, "category": name}
    advice = alarm.advice(deps, lang)
    if raising:
        ticket = raise_to_urgent(deps, ticket, msg)
        people = alarm.alerted(deps, ticket)
        text = (texts.joined_raised_en if english else texts.joined_raised).format(
            **fields, holders=alarm.names(deps, people), advice=advice
        )
        reply(deps, msg.chat_id, text, [msg.sender_id, *people], ticket_id=ticket.id)
        notice = deps.texts.raised_urgent_staff.format(
            ticket=ticket.id,
            category=tickets.category_name(deps, ticket),
            chat=msg.chat_topic,
            reporter=msg.sender_name or msg.sender_id,
            text=msg.text,
        )
        alarm.sound(deps, ticket, community, notice, people)
        return ticket.id
    reply(
        deps,
        msg.chat_id,
        (texts.joined_urgent_en if english else texts.joined_urgent).format(**fields, advice=advice)
        if urgent
        else (texts.joined_en if english else texts.joined).format(**fields, holder=tickets.holder_name(deps, ticket)),
        [msg.sender_id],
        ticket_id=ticket.id,
    )
    return ticket.id


def _candidates(msg: StoredMessage, deps: Deps, category: str, *, urgent: bool) -> list[r.Ticket]:
    """Open tickets of the group in the same category within the window (the category is a first, coarse
    sieve: the matter decides)."""
    dedupe = deps.settings.dedupe
    since = deps.now - timedelta(hours=dedupe.window_hours)
    found = deps.uow.tickets.in_chat(msg.chat_id, category, states=ACTIVE_STATES, since=since)
    if not urgent:
        return found
    recent = deps.now - timedelta(minutes=dedupe.urgent_window_minutes)
    return [t for t in found if t.urgency != "urgent" or _urgent_since(deps, t) >= recent]


def _urgent_since(deps: Deps, ticket: r.Ticket) -> datetime:
    """When the ticket became urgent: when it was opened, or when an emergency report raised it."""
    if ticket.created_at >= deps.now - timedelta(minutes=deps.settings.dedupe.urgent_window_minutes):
        return ticket.created_at  # recent enough either way: no need to read its timeline
    raised = [e.at for e in deps.uow.tickets.events(ticket.id) if e.action == "urgent"]
    return max([ticket.created_at, *raised])


def _best(msg: StoredMessage, deps: Deps, candidates: list[r.Ticket], *, urgent: bool) -> tuple[Match, r.Ticket] | None:
    """The ticket this report is most surely about. An emergency raises an ordinary ticket only when it names
    the same thing: "楼道全淹了" may be the leaking pipe or not, and a new alarm is the safe answer."""
    report = matter_of(msg.text)
    soon = deps.now - timedelta(minutes=SAME_REPORTER_MINUTES)
    best: tuple[Match, r.Ticket] | None = None
    for ticket in candidates:
        match = compare(
            matter_of(ticket.text),
            report,
            words_threshold=deps.settings.dedupe.similarity,
            same_reporter_recently=ticket.reporter_id == msg.sender_id and ticket.created_at >= soon,
        )
        if urgent and ticket.urgency != "urgent" and match.reason != "thing":
            continue
        if match.join and (best is None or match.score > best[0].score):
            best = (match, ticket)
    return best


def _record_join(msg: StoredMessage, deps: Deps, ticket: r.Ticket, match: Match, urgency: str) -> None:
    dedupe = deps.settings.dedupe
    deps.uow.tickets.add_reporter(NewReporter.of_message(ticket.id, msg, ReporterKind.JOINED, deps.now))
    _said(deps, ticket, "joined", msg, similarity=round(match.score, 2))
    deps.uow.followups.set(
        msg.chat_id,
        msg.sender_id,
        "split",
        at=deps.now,
        ticket_id=ticket.id,
        expires_at=deps.now + timedelta(hours=dedupe.split_window_hours),
        data={"message": msg.pk, "urgency": urgency},
    )


def raise_to_urgent(deps: Deps, ticket: r.Ticket, msg: StoredMessage) -> r.Ticket:
    """The ticket becomes urgent: an urgent ticket's deadline from now (never later than it was), no accept-by."""
    if ticket.paused_at is not None:  # an emergency waits for nobody: its clock runs again
        ticket = pauses.resume(deps, ticket, "", why=deps.texts.resumed_urgent_note, tell=False)
    deadline = ladder.level_deadline(deps, ticket.level, ticket.category, deps.now, urgent=True)
    if ticket.deadline_at is not None:
        deadline = min(deadline, ticket.deadline_at)
    remind = deadline - timedelta(hours=deps.settings.level(ticket.level).remind_before)
    raised = tickets.update(
        deps,
        ticket,
        urgency="urgent",
        deadline_at=deadline,
        # under a preset the emergency's 2 hours become the time to a result
        result_due_at=min(deadline, ticket.result_due_at) if ticket.result_due_at else None,
        remind_at=remind if remind > deps.now else None,
        ack_due_at=None,
    )
    was = ticket.deadline_at.isoformat() if ticket.deadline_at else ""
    _said(deps, raised, "urgent", msg, urgency="urgent", was=ticket.urgency, deadline=was)
    return raised


def undo_raise(deps: Deps, ticket: r.Ticket, resident_id: str) -> r.Ticket:
    """The resident whose emergency raised `ticket` says it was another matter: their report leaves with the
    urgency (it gets its own alarm), and the ticket is as it was — unless someone else has joined it since."""
    timeline = deps.uow.tickets.events(ticket.id)
    raise_at = next((i for i, e in enumerate(timeline) if e.action == "urgent" and e.actor_id == resident_id), None)
    if raise_at is None or ticket.urgency != "urgent":
        return ticket
    if any(e.action == "joined" and e.actor_id != resident_id for e in timeline[raise_at:]):
        return ticket  # a neighbour reported it since, perhaps the same emergency: it stays urgent
    raised = timeline[raise_at]
    data = json.loads(raised.data or "{}")
    was = data.get("deadline")
    deadline = datetime.fromisoformat(was) if was else None
    remind = deadline - timedelta(hours=deps.settings.level(ticket.level).remind_before) if deadline else None
    lowered = tickets.update(
        deps,
        ticket,
        urgency=data.get("was") or "normal",
        deadline_at=deadline,
        remind_at=remind if remind and remind > deps.now else None,
    )
    tickets.event(deps, lowered, "not_urgent", resident_id, note=deps.texts.not_urgent_note, was="urgent")
    return lowered


def _said(deps: Deps, ticket: r.Ticket, action: str, msg: StoredMessage, **data: Unpack[EventData]) -> None:
    """A timeline row in the resident's name, with their own words."""
    tickets.event(deps, ticket, action, msg.sender_id, actor_name=msg.sender_name, note=msg.text[:200], **data)
