"""Ticket operations shared by chat commands, the sweep and the web page.

Each operation checks the state, changes the row, writes its event and queues
what people must be told, all inside the caller's turn. Wrong state raises
`TicketError` whose text is the one-line answer for the person.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Unpack

from bot.core.settings import Community, Grid
from handlers.deps import Deps
from handlers.domain import ladder, limits
from handlers.domain.outbound import reply
from handlers.domain.people import name_of, resolve_holder
from storage.records import StoredMessage, Ticket
from storage.states import ReporterKind, TicketState
from storage.writes import EventData, NewEvent, NewReporter, NewTicket, TicketUpdate

STATE_NAMES = {
    TicketState.OPEN: "待接单",
    TicketState.ACCEPTED: "办理中",
    TicketState.RESOLVED: "已办结",
    TicketState.VERIFYING: "待核查",
    TicketState.CLOSED: "已关闭",
    TicketState.REJECTED: "已退回",
    TicketState.REFERRED: "已转12345",
    TicketState.CANCELLED: "已取消",
    TicketState.MERGED: "已合并",
}


PAUSED_NAME = "已挂起"


class TicketError(Exception):
    """An operation that cannot be done; the message is what the person is told."""


# leaving the ladder also ends a pause (a 办结 or 退回 resumes first, so the timeline shows how long it was)
NO_DEADLINES: ladder.NoTimers = {
    "deadline_at": None,
    "ack_due_at": None,
    "remind_at": None,
    "promise_at": None,
    "paused_at": None,
    "resume_at": None,
}


def state_name(ticket: Ticket) -> str:
    if ticket.paused_at is not None and ticket.is_active:
        return PAUSED_NAME  # /我的 and /查询 show the pause (/挂起)
    return STATE_NAMES.get(ticket.state, ticket.state)


def category_name(deps: Deps, ticket: Ticket) -> str:
    return deps.settings.category_name(ticket.category)


def worker_notice(deps: Deps, ticket: Ticket, chat: str) -> str:
    """What the worker (or the staff chat) is told of a new ticket, with the resident's own words."""
    return deps.texts.new_ticket_private.format(
        ticket=ticket.id,
        category=category_name(deps, ticket),
        chat=chat,
        reporter=ticket.reporter_name,
        text=ticket.text,
    )


def holder_name(deps: Deps, ticket: Ticket) -> str:
    return name_of(deps.settings, ticket.holder_id)


def level_name(deps: Deps, level: int) -> str:
    return deps.settings.level(level).name if deps.settings.ladder else ""


def require_active(deps: Deps, ticket: Ticket, verb: str) -> None:
    if not ticket.is_active:
        raise TicketError(deps.texts.err_wrong_state.format(ticket=ticket.id, state=state_name(ticket), verb=verb))


def _timers(ticket: Ticket) -> TicketUpdate:
    return {
        "deadline_at": ticket.deadline_at,
        "ack_due_at": ticket.ack_due_at,
        "remind_at": ticket.remind_at,
        "promise_at": ticket.promise_at,
        "paused_at": ticket.paused_at,
        "resume_at": ticket.resume_at,
    }


def update(deps: Deps, ticket: Ticket, **changes: Unpack[TicketUpdate]) -> Ticket:
    """Change a ticket and keep `next_due_at` consistent with its timers."""
    if any(k in changes for k in (*ladder.TIMERS, *ladder.PAUSE)):
        changes = ladder.with_next_due(_timers(ticket), changes)
    return deps.uow.tickets.update(ticket.id, TicketUpdate(updated_at=deps.now, **changes))


def event(
    deps: Deps,
    ticket: Ticket,
    action: str,
    actor_id: str = "",
    note: str = "",
    actor_name: str = "",
    **data: Unpack[EventData],
) -> None:
    """One row of the timeline. Residents are named as they appear in the chat; staff as in config."""
    actor_name = actor_name or (name_of(deps.settings, actor_id) if actor_id else "网格助手")
    deps.uow.tickets.add_event(
        NewEvent(
            ticket_id=ticket.id,
            action=action,
            at=deps.now,
            actor_id=actor_id,
            actor_name=actor_name,
            note=note,
            level=ticket.level,
            data=data or None,
        )
    )


def hand_over(
    deps: Deps,
    found: list[Ticket],
    new_holder: str,
    action: str,
    actor_id: str = "",
    note: str = "",
    **data: Unpack[EventData],
) -> list[int]:
    """Give these tickets to `new_holder`, each with its event row (a stand-in, a grid's new worker)."""
    payload: EventData = {"to": new_holder, **data}  # `to` first: the JSON reads as it always did
    for ticket in found:
        event(deps, update(deps, ticket, holder_id=new_holder), action, actor_id, note=note, **payload)
    return [t.id for t in found]


def covering(deps: Deps, person_id: str) -> str:
    """The person who acts for `person_id` today: a stand-in while they are on leave."""
    today = deps.now.astimezone(deps.settings.tz).date()
    for stand in deps.settings.standins:
        if stand.person == person_id and stand.until >= today:
            return stand.by
    return deps.uow.directory.standins(deps.now).get(person_id, person_id)


def ladder_holder(deps: Deps, grid: Grid | None, community: Community, level: int, category: str) -> tuple[int, str]:
    """Who holds a ticket arriving at `level` by the ladder and category routing, nobody being away."""
    settings = deps.settings
    cat = settings.categories.get(category)
    if cat is not None and level == cat.start_level:
        routed = ""
        if cat.route_to == "property" and grid is not None:
            routed = grid.property_company
        elif cat.route_to == "department":
            routed = cat.department
        if routed:
            return level, routed
    return resolve_holder(settings, grid, community, level)


def assign(deps: Deps, grid: Grid | None, community: Community, level: int, category: str) -> tuple[int, str]:
    """Who holds a ticket arriving at `level`: the ladder, category routing, then stand-ins."""
    level, holder = ladder_holder(deps, grid, community, level, category)
    return level, covering(deps, holder)


def open_ticket(
    deps: Deps,
    *,
    msg: StoredMessage | None,
    chat_id: str,
    chat_topic: str,
    reporter_id: str,
    reporter_name: str,
    text: str,
    category: str,
    urgency: str,
    grid: Grid | None,
    community: Community,
    actor_id: str = "",
) -> Ticket:
    settings = deps.settings
    cat = settings.categories.get(category)
    start_level = cat.start_level if cat else 1
    level, holder = assign(deps, grid, community, start_level, category)
    urgent = urgency == "urgent"
    result_due, kind = limits.result_due(deps, category, urgency, text, deps.now)
    timers = ladder.timers_for_level(
        deps, level, category, deps.now, urgent=urgent, accepted=False, result_due=result_due
    )
    in_group = chat_id != reporter_id and bool(grid)
    promise_at = ladder.promise_time(deps, deps.now) if in_group else None
    new = NewTicket(
        community_id=community.id,
        grid_id=grid.id if grid else "",
        chat_id=chat_id,
        chat_topic=chat_topic,
        reporter_id=reporter_id,
        reporter_name=reporter_name,
        category=category,
        urgency=urgency,
        state=TicketState.OPEN,
        holder_id=holder,
        text=text,
        source_message_id=msg.pk if msg else None,
        created_at=deps.now,
        updated_at=deps.now,
        promise_at=promise_at,
        result_due_at=result_due,
        next_due_at=ladder.next_due({**timers, "promise_at": promise_at}),
        **timers,
    )
    ticket = deps.uow.tickets.add(new)
    origin = ReporterKind.ORIGIN
    deps.uow.tickets.add_reporter(
        NewReporter.of_message(ticket.id, msg, origin, deps.now)
        if msg
        else NewReporter(ticket.id, chat_id, chat_topic, reporter_id, reporter_name, origin, deps.now)
    )
    data: EventData = {"category": category, "urgency": urgency, "holder": holder}
    if kind:
        data["limit_kind"] = kind
    event(
        deps, ticket, "created", actor_id, note=f"{category_name(deps, ticket)} → {holder_name(deps, ticket)}", **data
    )
    return ticket


def accept(deps: Deps, ticket: Ticket, actor_id: str) -> Ticket:
    require_active(deps, ticket, "接单")
    if ticket.state == TicketState.ACCEPTED and ticket.holder_id == actor_id:
        raise TicketError(f"#{ticket.id} 您已接单。")
    ticket = update(
        deps,
        ticket,
        state=TicketState.ACCEPTED,
        holder_id=actor_id,
        ack_due_at=None,
        first_response_at=ticket.first_response_at or deps.now,
    )
    event(deps, ticket, "accepted", actor_id)
    return ticket


def progress(deps: Deps, ticket: Ticket, actor_id: str, note: str, *, public: bool) -> Ticket:
    require_active(deps, ticket, "记录进展")
    changes: TicketUpdate = {"first_response_at": ticket.first_response_at or deps.now}
    if ticket.state == TicketState.OPEN and ticket.holder_id == actor_id:  # the holder working on it: 办理中
        changes["state"] = TicketState.ACCEPTED
        changes["ack_due_at"] = None
        event(deps, ticket, "accepted", actor_id, note="记录进展时自动接单")
    if public:
        changes["promise_at"] = None  # the group heard about it: the 12-hour promise is kept
    ticket = update(deps, ticket, **changes)
    event(deps, ticket, "progress", actor_id, note=note, public=public)
    if public:
        for chat_id, mentions in reporter_chats(deps, ticket).items():
            reply(
                deps,
                chat_id,
                deps.texts.progress_public.format(ticket=ticket.id, note=note),
                mentions,
                ticket_id=ticket.id,
            )
    return ticket


def reporter_chats(deps: Deps, ticket: Ticket, *, include_private: bool = False) -> dict[str, list[str]]:
    """Chats to tell about this ticket, with the reporters to @ in each.

    Group reports are answered in their group; private reports only when `include_private`
    (the result); a sensitive category's reporters only ever privately.
    """
    cat = deps.settings.categories.get(ticket.category)
    sensitive = cat is not None and cat.sensitive
    chats: dict[str, list[str]] = defaultdict(list)
    for rep in deps.uow.tickets.reporters(ticket.id):
        chat_id = rep.chat_id
        if sensitive or rep.chat_id == rep.reporter_id:
            if not (sensitive or include_private):
                continue
            chat_id = rep.reporter_id
        if rep.reporter_id not in chats[chat_id]:
            chats[chat_id].append(rep.reporter_id)
    return dict(chats)


def community_of(deps: Deps, ticket: Ticket) -> Community:
    for comm in deps.settings.all_communities:
        if comm.id == ticket.community_id:
            return comm
    return deps.settings.all_communities[0]


def merge(deps: Deps, target: Ticket, others: list[Ticket], actor_id: str) -> Ticket:
    """One incident reported in several groups: the others fold into `target`; its result goes to all."""
    require_active(deps, target, "合并")
    for other in others:
        require_active(deps, other, "合并")
        deps.uow.tickets.move_reporters(other.id, target.id)
        update(
            deps,
            other,
            state=TicketState.MERGED,
            merged_into=target.id,
            closed_at=deps.now,
            **NO_DEADLINES,
        )
        event(deps, other, "merged_into", actor_id, note=f"#{target.id}", target=target.id)
        event(deps, target, "merged", actor_id, note=f"#{other.id}", source=other.id)
    return target


def cancel_on_recall(deps: Deps, ticket: Ticket, reporter_id: str) -> Ticket:
    """The resident withdrew the report: untouched tickets are cancelled, others only marked."""
    untouched = ticket.state == TicketState.OPEN and ticket.first_response_at is None
    events = [e for e in deps.uow.tickets.events(ticket.id) if e.action not in ("created", "joined")]
    if untouched and not events:
        ticket = update(
            deps,
            ticket,
            state=TicketState.CANCELLED,
            closed_at=deps.now,
            **NO_DEADLINES,
        )
        event(deps, ticket, "cancelled", reporter_id, note="反映人撤回了消息", actor_name=ticket.reporter_name)
        reply(
            deps,
            ticket.chat_id,
            deps.texts.cancelled_recall.format(ticket=ticket.id),
            [reporter_id],
            ticket_id=ticket.id,
        )
    else:
        event(deps, ticket, "recalled", reporter_id, note="反映人撤回了消息", actor_name=ticket.reporter_name)
    reply(deps, ticket.holder_id, deps.texts.recalled_notice.format(ticket=ticket.id), ticket_id=ticket.id)
    return ticket
