"""Ticket operations shared by chat commands, the sweep and the web page.

Each operation checks the state, changes the row, writes its event and queues
what people must be told, all inside the caller's turn. Wrong state raises
`TicketError` whose text is the one-line answer for the person.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from bot.core.settings import Community, Grid
from handlers.deps import Deps
from handlers.domain import ladder
from handlers.domain.outbound import announce, reply, to_staff
from handlers.domain.people import name_of, name_with_title, resolve_holder, titled
from storage import records as r
from storage.records import Ticket

STATE_NAMES = {
    r.OPEN: "待接单",
    r.ACCEPTED: "办理中",
    r.RESOLVED: "已办结",
    r.VERIFYING: "待核查",
    r.CLOSED: "已关闭",
    r.REJECTED: "已退回",
    r.CANCELLED: "已取消",
    r.MERGED: "已合并",
}


class TicketError(Exception):
    """An operation that cannot be done; the message is what the person is told."""


# a ticket that leaves the ladder (resolved, rejected, merged, cancelled) has nothing left due
NO_DEADLINES: dict[str, None] = {"deadline_at": None, "ack_due_at": None, "remind_at": None, "promise_at": None}


def state_name(ticket: Ticket) -> str:
    return STATE_NAMES.get(ticket.state, ticket.state)


def category_name(deps: Deps, ticket: Ticket) -> str:
    return deps.settings.category_name(ticket.category)


def holder_name(deps: Deps, ticket: Ticket) -> str:
    return name_of(deps.settings, ticket.holder_id)


def transferred_text(deps: Deps, ticket: Ticket) -> str:
    """The answer to a transfer (/转办, or the page's button): where the ticket is now."""
    holder, lname = holder_name(deps, ticket), level_name(deps, ticket.level)
    return deps.texts.transferred.format(
        ticket=ticket.id, holder=holder, level_name=lname, to=name_with_title(holder, lname)
    )


def level_name(deps: Deps, level: int) -> str:
    return deps.settings.level(level).name if deps.settings.ladder else ""


def require_active(deps: Deps, ticket: Ticket, verb: str) -> None:
    if not ticket.is_active:
        raise TicketError(deps.texts.err_wrong_state.format(ticket=ticket.id, state=state_name(ticket), verb=verb))


def _timers(ticket: Ticket) -> dict[str, Any]:
    return {
        "deadline_at": ticket.deadline_at,
        "ack_due_at": ticket.ack_due_at,
        "remind_at": ticket.remind_at,
        "promise_at": ticket.promise_at,
    }


def update(deps: Deps, ticket: Ticket, **changes: Any) -> Ticket:
    """Change a ticket and keep `next_due_at` consistent with its timers."""
    if any(k in changes for k in ("deadline_at", "ack_due_at", "remind_at", "promise_at")):
        changes = ladder.with_next_due(_timers(ticket), changes)
    return deps.repo.update_ticket(ticket.id, updated_at=deps.now, **changes)


def event(
    deps: Deps, ticket: Ticket, action: str, actor_id: str = "", note: str = "", actor_name: str = "", **data: Any
) -> None:
    """One row of the timeline. Residents are named as they appear in the chat; staff as in config."""
    actor_name = actor_name or (name_of(deps.settings, actor_id) if actor_id else "网格助手")
    deps.repo.add_event(
        ticket.id,
        action,
        deps.now,
        actor_id=actor_id,
        actor_name=actor_name,
        note=note,
        level=ticket.level,
        data=data or None,
    )


def hand_over(
    deps: Deps, found: list[Ticket], holder: str, action: str, actor_id: str = "", note: str = "", **data: Any
) -> list[int]:
    """Give these tickets to `holder`, each with its event row (a stand-in, a grid's new worker)."""
    for ticket in found:
        event(deps, update(deps, ticket, holder_id=holder), action, actor_id, note=note, to=holder, **data)
    return [t.id for t in found]


def covering(deps: Deps, person_id: str) -> str:
    """The person who acts for `person_id` today: a stand-in while they are on leave."""
    today = deps.now.astimezone(deps.settings.tz).date()
    for stand in deps.settings.standins:
        if stand.person == person_id and stand.until >= today:
            return stand.by
    return deps.repo.standins(deps.now).get(person_id, person_id)


def assign(deps: Deps, grid: Grid | None, community: Community, level: int, category: str) -> tuple[int, str]:
    """Who holds a ticket arriving at `level`: the ladder, category routing, then stand-ins."""
    settings = deps.settings
    cat = settings.categories.get(category)
    if cat is not None and level == cat.start_level:
        routed = ""
        if cat.route_to == "property" and grid is not None:
            routed = grid.property_company
        elif cat.route_to == "department":
            routed = cat.department
        if routed:
            return level, covering(deps, routed)
    level, holder = resolve_holder(settings, grid, community, level)
    return level, covering(deps, holder)


def open_ticket(
    deps: Deps,
    *,
    msg: r.StoredMessage | None,
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
    values: dict[str, Any] = ladder.timers_for_level(deps, level, category, deps.now, urgent=urgent, accepted=False)
    in_group = chat_id != reporter_id and bool(grid)
    values["promise_at"] = ladder.promise_time(deps, deps.now) if in_group else None
    values["next_due_at"] = ladder.next_due(values)
    ticket = deps.repo.create_ticket(
        community_id=community.id,
        grid_id=grid.id if grid else "",
        chat_id=chat_id,
        chat_topic=chat_topic,
        reporter_id=reporter_id,
        reporter_name=reporter_name,
        category=category,
        urgency=urgency,
        state=r.OPEN,
        holder_id=holder,
        text=text,
        source_message_id=msg.pk if msg else None,
        created_at=deps.now,
        updated_at=deps.now,
        **values,
    )
    deps.repo.add_reporter(
        ticket.id,
        msg,
        kind="origin",
        at=deps.now,
        **(
            {}
            if msg
            else {
                "chat_id": chat_id,
                "chat_topic": chat_topic,
                "reporter_id": reporter_id,
                "reporter_name": reporter_name,
            }
        ),
    )
    event(
        deps,
        ticket,
        "created",
        actor_id,
        note=f"{category_name(deps, ticket)} → {holder_name(deps, ticket)}",
        category=category,
        urgency=urgency,
        holder=holder,
    )
    return ticket


def accept(deps: Deps, ticket: Ticket, actor_id: str) -> Ticket:
    require_active(deps, ticket, "接单")
    if ticket.state == r.ACCEPTED and ticket.holder_id == actor_id:
        raise TicketError(f"#{ticket.id} 您已接单。")
    ticket = update(
        deps,
        ticket,
        state=r.ACCEPTED,
        holder_id=actor_id,
        ack_due_at=None,
        first_response_at=ticket.first_response_at or deps.now,
    )
    event(deps, ticket, "accepted", actor_id)
    return ticket


def progress(deps: Deps, ticket: Ticket, actor_id: str, note: str, *, public: bool) -> Ticket:
    require_active(deps, ticket, "记录进展")
    changes: dict[str, Any] = {"first_response_at": ticket.first_response_at or deps.now}
    if public:
        changes["promise_at"] = None  # the group heard about it: the 12-hour promise is kept
    ticket = update(deps, ticket, **changes)
    event(deps, ticket, "progress", actor_id, note=note, public=public)
    if public:
        for chat_id, mentions in _reporter_chats(deps, ticket).items():
            reply(
                deps,
                chat_id,
                deps.texts.progress_public.format(ticket=ticket.id, note=note),
                mentions,
                ticket_id=ticket.id,
            )
    return ticket


def _reporter_chats(deps: Deps, ticket: Ticket, *, include_private: bool = False) -> dict[str, list[str]]:
    """Chats to tell about this ticket, with the reporters to @ in each.

    Group reports are answered in their group; private reports only when `include_private`
    (the result); a sensitive category's reporters only ever privately.
    """
    cat = deps.settings.categories.get(ticket.category)
    sensitive = cat is not None and cat.sensitive
    chats: dict[str, list[str]] = defaultdict(list)
    for rep in deps.repo.reporters(ticket.id):
        chat_id = rep.chat_id
        if sensitive or rep.chat_id == rep.reporter_id:
            if not (sensitive or include_private):
                continue
            chat_id = rep.reporter_id
        if rep.reporter_id not in chats[chat_id]:
            chats[chat_id].append(rep.reporter_id)
    return dict(chats)


def needs_verification(deps: Deps, ticket: Ticket) -> bool:
    cat = deps.settings.categories.get(ticket.category)
    return cat is not None and cat.verify


def verifiers(deps: Deps, ticket: Ticket) -> list[str]:
    """The community's verifiers (核查员); the secretary when none is configured."""
    community = community_of(deps, ticket)
    found = [p.id for p in community.people if p.role == "verifier"]
    return found or [community.secretary]


def resolve(deps: Deps, ticket: Ticket, actor_id: str, result: str) -> Ticket:
    """办结: the result goes to the reporters, or first to a verifier when the category has 核查."""
    require_active(deps, ticket, "办结")
    if ticket.state == r.OPEN:  # a holder's 办结 implies 接单
        event(deps, ticket, "accepted", actor_id, note="办结时自动接单")
    on_time = _on_time(ticket, deps.now)  # judged against the deadline in force, before it is cleared
    verify = needs_verification(deps, ticket)
    ticket = update(
        deps,
        ticket,
        state=r.VERIFYING if verify else r.RESOLVED,
        holder_id=actor_id,
        result=result,
        resolved_at=deps.now,
        first_response_at=ticket.first_response_at or deps.now,
        **NO_DEADLINES,
    )
    event(deps, ticket, "resolved", actor_id, note=result, on_time=on_time)
    if verify:
        to_staff(
            deps,
            community_of(deps, ticket).staff_chat,
            deps.texts.verify_request.format(
                ticket=ticket.id, category=category_name(deps, ticket), holder=holder_name(deps, ticket), result=result
            ),
            verifiers(deps, ticket),
            ticket_id=ticket.id,
        )
    else:
        post_result(deps, ticket)
    return ticket


def post_result(deps: Deps, ticket: Ticket) -> None:
    """The result to every reporter (group, or privately), each asked to rate it within the window."""
    from storage import followups

    window = timedelta(hours=deps.settings.rating_window_hours)
    for chat_id, mentions in _reporter_chats(deps, ticket, include_private=True).items():
        private_chat = chat_id in mentions
        template = deps.texts.resolved_private if private_chat else deps.texts.resolved
        text = template.format(ticket=ticket.id, category=category_name(deps, ticket), result=ticket.result)
        reply(deps, chat_id, text, [] if private_chat else mentions, ticket_id=ticket.id)
        for who in mentions:
            followups.add_for_ticket(
                deps.repo, chat_id, who, "rating", ticket.id, at=deps.now, expires_at=deps.now + window
            )


def _on_time(ticket: Ticket, now: datetime) -> bool:
    if ticket.overdue_at is not None:
        return False
    return ticket.deadline_at is None or now <= ticket.deadline_at


def reject(deps: Deps, ticket: Ticket, actor_id: str, reason: str) -> Ticket:
    require_active(deps, ticket, "退回")
    ticket = update(
        deps,
        ticket,
        state=r.REJECTED,
        closed_at=deps.now,
        result=reason,
        **NO_DEADLINES,
    )
    event(deps, ticket, "rejected", actor_id, note=reason)
    for chat_id, mentions in _reporter_chats(deps, ticket).items():
        reply(
            deps,
            chat_id,
            deps.texts.rejected_to_reporter.format(
                ticket=ticket.id, reason=reason, holder=name_of(deps.settings, actor_id)
            ),
            mentions,
            ticket_id=ticket.id,
        )
    return ticket


def community_of(deps: Deps, ticket: Ticket) -> Community:
    for comm in deps.settings.all_communities:
        if comm.id == ticket.community_id:
            return comm
    return deps.settings.all_communities[0]


def escalate(deps: Deps, ticket: Ticket, actor_id: str, reason: str, *, automatic: bool) -> Ticket:
    """Up one level: the next holder is @-mentioned among staff, the group gets a calm status line."""
    require_active(deps, ticket, "转办")
    settings = deps.settings
    if ticket.level >= settings.top_level:
        raise TicketError(deps.texts.err_top_level.format(ticket=ticket.id))
    community = community_of(deps, ticket)
    grid = settings.grids_by_id.get(ticket.grid_id)
    level, holder = assign(deps, grid, community, ticket.level + 1, ticket.category)
    previous = ticket.holder_id
    timers = ladder.timers_for_level(
        deps, level, ticket.category, deps.now, urgent=ticket.urgency == "urgent", accepted=True
    )
    ticket = update(deps, ticket, state=r.OPEN, holder_id=holder, promise_at=None, **timers)
    event(
        deps,
        ticket,
        "escalated" if automatic else "transferred",
        actor_id,
        note=reason,
        to=holder,
        previous=previous,
        level_to=level,
    )
    lname, holder_shown = level_name(deps, level), name_of(settings, holder)
    to_staff(
        deps,
        community.staff_chat,
        deps.texts.transferred_to_you.format(
            ticket=ticket.id,
            category=category_name(deps, ticket),
            reason=reason,
            previous=name_of(settings, previous),
            text=ticket.text,
        ),
        [holder],
        ticket_id=ticket.id,
    )
    for chat_id in _reporter_chats(deps, ticket):
        announce(
            deps,
            chat_id,
            deps.texts.escalated_status.format(
                ticket=ticket.id,
                category=category_name(deps, ticket),
                level_name=lname,
                holder=holder_shown,
                to=titled(holder_shown, lname),
            ),
            [holder],
            ticket_id=ticket.id,
            urgent=ticket.urgency == "urgent",
        )
    return ticket


def move_to_grid(deps: Deps, ticket: Ticket, actor_id: str, grid: Grid, reason: str) -> Ticket:
    """Sideways: the ticket belongs to another grid (转办 1024 第十一网格)."""
    require_active(deps, ticket, "转办")
    settings = deps.settings
    community = settings.community_of_grid[grid.id]
    level, holder = assign(deps, grid, community, 1, ticket.category)
    previous = ticket.holder_id
    timers = ladder.timers_for_level(
        deps, level, ticket.category, deps.now, urgent=ticket.urgency == "urgent", accepted=False
    )
    ticket = update(deps, ticket, state=r.OPEN, grid_id=grid.id, community_id=community.id, holder_id=holder, **timers)
    event(deps, ticket, "moved", actor_id, note=reason or grid.name, grid=grid.id, to=holder, previous=previous)
    to_staff(
        deps,
        community.staff_chat,
        deps.texts.transferred_to_you.format(
            ticket=ticket.id,
            category=category_name(deps, ticket),
            reason=reason or grid.name,
            previous=name_of(settings, previous),
            text=ticket.text,
        ),
        [holder],
        ticket_id=ticket.id,
    )
    return ticket


def merge(deps: Deps, target: Ticket, others: list[Ticket], actor_id: str) -> Ticket:
    """One incident reported in several groups: the others fold into `target`; its result goes to all."""
    require_active(deps, target, "合并")
    for other in others:
        require_active(deps, other, "合并")
        deps.repo.move_reporters(other.id, target.id)
        update(
            deps,
            other,
            state=r.MERGED,
            merged_into=target.id,
            closed_at=deps.now,
            **NO_DEADLINES,
        )
        event(deps, other, "merged_into", actor_id, note=f"#{target.id}", target=target.id)
        event(deps, target, "merged", actor_id, note=f"#{other.id}", source=other.id)
    return target


def cancel_on_recall(deps: Deps, ticket: Ticket, reporter_id: str) -> Ticket:
    """The resident withdrew the report: untouched tickets are cancelled, others only marked."""
    untouched = ticket.state == r.OPEN and ticket.first_response_at is None
    events = [e for e in deps.repo.events(ticket.id) if e.action not in ("created", "joined")]
    if untouched and not events:
        ticket = update(
            deps,
            ticket,
            state=r.CANCELLED,
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
