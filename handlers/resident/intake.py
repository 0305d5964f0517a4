"""Opening a ticket for a resident's report: which grid, a duplicate of an open one, the acknowledgement."""

from __future__ import annotations

from bot.core.settings import Community, Grid
from handlers.deps import Deps
from handlers.domain import tickets
from handlers.domain.outbound import private, reply, to_staff
from handlers.jobs.chat_events import note_unknown_group
from handlers.resident import alarm
from handlers.resident.joining import join_duplicate
from storage import records as r
from storage.records import StoredMessage


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
        joined = join_duplicate(msg, deps, category, urgency, community, lang)
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


def unplaced(msg: StoredMessage, deps: Deps, urgency: str, lang: str = "zh") -> None:
    """A stranger writing privately in a street: answered, and every community's staff see the message."""
    advice_text = f" {alarm.advice(deps, lang)}" if urgency == "urgent" else ""
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
        alerted = alarm.alerted(deps, ticket)
        reply(
            deps,
            ticket.chat_id,
            (texts.ack_urgent_en if english else texts.ack_urgent).format(
                **fields, holders=alarm.names(deps, alerted), advice=alarm.advice(deps, lang)
            ),
            [ticket.reporter_id, *alerted],
            ticket_id=ticket.id,
        )
        alarm.sound(deps, ticket, community, tickets.worker_notice(deps, ticket, ticket.chat_topic), alerted)
        return
    if cat is not None and cat.sensitive:
        private(deps, ticket.reporter_id, texts.ack_private_sensitive.format(**fields), ticket_id=ticket.id)
        private(
            deps,
            ticket.holder_id,
            tickets.worker_notice(deps, ticket, ticket.chat_topic),
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
            tickets.worker_notice(deps, ticket, "私聊"),
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


def faq_answer(deps: Deps, text: str) -> str | None:
    for entry in deps.settings.faq:
        if any(k in text for k in entry.keywords):
            return entry.answer
    return None
