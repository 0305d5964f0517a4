"""Opening a ticket for a resident's report: which grid, a duplicate of an open one, the acknowledgement."""

from __future__ import annotations

from datetime import timedelta

from bot.core.settings import Community, Grid
from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.outbound import private, reply, to_staff
from handlers.domain.people import name_of
from handlers.jobs.chat_events import note_unknown_group
from nlp.similarity import similarity
from storage import records as r
from storage.records import StoredMessage
from storage.states import ACTIVE_STATES, ReporterKind
from storage.writes import NewReporter


def grid_of_chat(deps: Deps, chat_id: str) -> Grid | None:
    grid = deps.settings.grid_of_group.get(chat_id)
    if grid is not None:
        return grid
    bound = deps.uow.chats.get(chat_id)
    if bound is not None and bound.grid_id:
        return deps.settings.grids_by_id.get(bound.grid_id)
    return None


def grid_of_person(deps: Deps, person_id: str) -> Grid | None:
    """The grid of the group this resident wrote in last: where a private complaint belongs."""
    for chat_id in deps.uow.messages.groups_written_in(person_id):
        grid = grid_of_chat(deps, chat_id)
        if grid is not None:
            return grid
    return None


def community_for(deps: Deps, grid: Grid | None) -> Community | None:
    if grid is not None:
        return deps.settings.community_of_grid[grid.id]
    comms = deps.settings.all_communities
    return comms[0] if len(comms) == 1 else None


def report(msg: StoredMessage, deps: Deps, category: str, urgency: str, lang: str = "zh") -> int | None:
    grid = grid_of_chat(deps, msg.chat_id)
    if grid is None and msg.is_private:
        grid = grid_of_person(deps, msg.sender_id)  # their building's worker, not the secretary's desk
    if grid is None and not msg.is_private:
        note_unknown_group(deps, msg.chat_id, msg.chat_topic)
    community = community_for(deps, grid)
    if community is None:
        # a street deployment and no community to give it to: a group's staff were just asked to bind it
        if msg.is_private:
            unplaced(msg, deps, urgency, lang)
        return None
    if not msg.is_private:
        joined = join_duplicate(msg, deps, category, urgency, lang)
        if joined is not None:
            return joined
    ticket = tickets.open_ticket(
        deps,
        msg=msg,
        chat_id=msg.chat_id,
        chat_topic=msg.chat_topic,
        reporter_id=msg.sender_id,
        reporter_name=msg.sender_name,
        text=msg.text,
        category=category,
        urgency=urgency,
        grid=grid,
        community=community,
    )
    acknowledge(deps, ticket, community, lang)
    return ticket.id


def advice(deps: Deps, lang: str) -> str:
    return deps.settings.emergency_advice_en if lang == "en" else deps.settings.emergency_advice


def unplaced(msg: StoredMessage, deps: Deps, urgency: str, lang: str = "zh") -> None:
    """A stranger writing privately in a street: answered, and every community's staff see the message."""
    advice_text = f" {advice(deps, lang)}" if urgency == "urgent" else ""
    reply(deps, msg.chat_id, deps.texts.private_where + advice_text)
    told = deps.texts.private_unplaced_staff.format(reporter=msg.sender_name or msg.sender_id, text=msg.text)
    for each in deps.settings.all_communities:
        lead = each.secretary or each.street_center  # named: without a staff chat, told privately
        to_staff(deps, each.staff_chat, told, [lead] if lead else [])


def acknowledge(deps: Deps, ticket: r.Ticket, community: Community, lang: str = "zh") -> None:
    """The answer to a new ticket; a resident who wrote in English (`lang` "en") is answered in English."""
    settings, texts = deps.settings, deps.texts
    english = lang == "en"
    cat = settings.categories.get(ticket.category)
    holder = tickets.holder_name(deps, ticket)
    fields = {
        "ticket": ticket.id,
        "category": settings.category_name(ticket.category, lang) if english else tickets.category_name(deps, ticket),
        "holder": holder,
        "promise_hours": f"{settings.promise_hours:g}",
    }
    if ticket.urgency == "urgent":
        grid = settings.grids_by_id.get(ticket.grid_id)
        alerted = [ticket.holder_id, *(grid.workers if grid else []), grid.area_cadre if grid else ""]
        if deps.calendar.is_off_duty(deps.now):
            alerted += on_duty(deps)  # nights, weekends and holidays: the duty roster too
        alerted = [tickets.covering(deps, a) for a in dict.fromkeys(alerted) if a]
        alerted = list(dict.fromkeys(alerted))
        names = "、".join(name_of(settings, a) for a in alerted)
        reply(
            deps,
            ticket.chat_id,
            (texts.ack_urgent_en if english else texts.ack_urgent).format(
                **fields, holders=names, advice=advice(deps, lang)
            ),
            [ticket.reporter_id, *alerted],
            ticket_id=ticket.id,
        )
        to_staff(
            deps,
            community.staff_chat,
            _worker_notice(deps, ticket, ticket.chat_topic),
            alerted,
            ticket_id=ticket.id,
        )
        return
    if cat is not None and cat.sensitive:
        private(deps, ticket.reporter_id, texts.ack_private_sensitive.format(**fields), ticket_id=ticket.id)
        private(
            deps,
            ticket.holder_id,
            _worker_notice(deps, ticket, ticket.chat_topic),
            ticket_id=ticket.id,
            unmasked=True,
        )
        return
    answer = faq_answer(deps, ticket.text) if ticket.category == "permits" else None
    if answer:
        reply(
            deps,
            ticket.chat_id,
            texts.faq_answer.format(**fields, answer=answer),
            [ticket.reporter_id, ticket.holder_id],
            ticket_id=ticket.id,
        )
        tickets.event(deps, ticket, "faq", note=answer)
        return
    ack = texts.ack_en if english else texts.ack
    if ticket.chat_id == ticket.reporter_id:
        reply(deps, ticket.chat_id, ack.format(**fields), ticket_id=ticket.id)
        private(
            deps,
            ticket.holder_id,
            _worker_notice(deps, ticket, "私聊"),
            ticket_id=ticket.id,
            unmasked=True,
        )
        return
    mentions = [ticket.reporter_id, ticket.holder_id]
    grid = settings.grids_by_id.get(ticket.grid_id)
    if grid is not None and ticket.holder_id not in grid.workers:
        # routed past the grid worker (safety to the area cadre, repairs to the property company):
        # the worker is @-mentioned too and stays answerable for the 12-hour promise
        mentions.append(tickets.covering(deps, grid.workers[0]))
    reply(deps, ticket.chat_id, ack.format(**fields), mentions, ticket_id=ticket.id)


def on_duty(deps: Deps) -> list[str]:
    """The duty roster (值班表): named dates first, then weekdays, then the default."""
    local = deps.now.astimezone(deps.settings.tz)
    day, weekday = local.date(), local.isoweekday()
    roster = deps.settings.duty_roster
    for match in (
        [e.person for e in roster if day in e.dates],
        [e.person for e in roster if weekday in e.weekdays],
        [e.person for e in roster if e.default],
    ):
        if match:
            return match
    return []


def faq_answer(deps: Deps, text: str) -> str | None:
    for entry in deps.settings.faq:
        if any(k in text for k in entry.keywords):
            return entry.answer
    return None


def join_duplicate(
    msg: StoredMessage, deps: Deps, category: str, urgency: str = "normal", lang: str = "zh"
) -> int | None:
    """Same group, same category and similar words within the window: one ticket, two reporters.

    An emergency joins only an urgent ticket, and only within `dedupe.urgent_window_minutes`: ten
    neighbours smelling the same gas make one alarm, while a fire the next morning is a new one.
    """
    dedupe = deps.settings.dedupe
    urgent = urgency == "urgent"
    window = timedelta(minutes=dedupe.urgent_window_minutes) if urgent else timedelta(hours=dedupe.window_hours)
    candidates = deps.uow.tickets.find(
        states=ACTIVE_STATES, chat_id=msg.chat_id, category=category, since=deps.now - window
    )
    if urgent:
        candidates = [t for t in candidates if t.urgency == "urgent"]
    best: tuple[float, r.Ticket] | None = None
    for ticket in candidates:
        score = similarity(ticket.text, msg.text)
        if score >= deps.settings.dedupe.similarity and (best is None or score > best[0]):
            best = (score, ticket)
    if best is None:
        return None
    ticket = best[1]
    if any(rep.reporter_id == msg.sender_id for rep in deps.uow.tickets.reporters(ticket.id)):
        return ticket.id  # the same person saying it again: quietly part of the same ticket
    deps.uow.tickets.add_reporter(NewReporter.of_message(ticket.id, msg, ReporterKind.JOINED, deps.now))
    tickets.event(
        deps,
        ticket,
        "joined",
        msg.sender_id,
        actor_name=msg.sender_name,
        note=msg.text[:200],
        similarity=round(best[0], 2),
    )
    deps.uow.followups.set(
        msg.chat_id,
        msg.sender_id,
        "split",
        at=deps.now,
        ticket_id=ticket.id,
        expires_at=deps.now + timedelta(hours=dedupe.split_window_hours),
        data={"message": msg.pk, "urgency": urgency},
    )
    english, texts = lang == "en", deps.texts
    name = deps.settings.category_name(ticket.category, lang) if english else tickets.category_name(deps, ticket)
    fields = {"ticket": ticket.id, "category": name}
    reply(
        deps,
        msg.chat_id,
        (texts.joined_urgent_en if english else texts.joined_urgent).format(**fields, advice=advice(deps, lang))
        if urgent
        else (texts.joined_en if english else texts.joined).format(**fields, holder=tickets.holder_name(deps, ticket)),
        [msg.sender_id],
        ticket_id=ticket.id,
    )
    return ticket.id


def _worker_notice(deps: Deps, ticket: r.Ticket, chat: str) -> str:
    """What the worker (or the staff chat) is told of a new ticket, with the resident's own words."""
    return deps.texts.new_ticket_private.format(
        ticket=ticket.id,
        category=tickets.category_name(deps, ticket),
        chat=chat,
        reporter=ticket.reporter_name,
        text=ticket.text,
    )
