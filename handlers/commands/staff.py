"""The ticket commands: `/接单 1024`, `/办结 1024 结果`, … (declared in registry.py, dispatched by dispatch.py)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.core.settings import Grid
from handlers.commands.base import need_text, ticket_in_reach, ticket_number
from handlers.deps import Deps
from handlers.domain import outcomes, referrals, results, tickets, transfers
from handlers.domain.outbound import private
from handlers.domain.people import communities_of, name_of
from handlers.domain.tickets import TicketError
from handlers.resident.reports import community_for, grid_of_chat
from nlp.commands import Command
from storage.records import StoredMessage
from storage.states import ACTIVE_STATES, Outcome, TicketState

Handler = Callable[[StoredMessage, Command, Deps], Awaitable[str | None]]

_ticket_in_reach = ticket_in_reach
_need_text = need_text


async def cmd_accept(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = tickets.accept(deps, _ticket_in_reach(cmd, msg, deps), msg.sender_id)
    return deps.texts.accepted.format(ticket=ticket.id, holder=tickets.holder_name(deps, ticket))


async def cmd_progress(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    ticket = _ticket_in_reach(cmd, msg, deps)
    text = _need_text(cmd, deps, "进展", f"/进展 {ticket.id} 已联系物业")
    public = text.startswith("公开")
    note = text.removeprefix("公开").strip(" ：:，,")
    if not note:
        raise TicketError(deps.texts.err_need_text.format(what="进展", example=f"/进展 {ticket.id} 公开 已联系物业"))
    ticket = tickets.progress(deps, ticket, msg.sender_id, note, public=public)
    if public and deps.uow.tickets.reported_in(ticket.id, msg.chat_id):
        return None  # the public note itself is the answer in this group
    return deps.texts.progress_saved.format(ticket=ticket.id)


async def cmd_resolve(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    ticket = _ticket_in_reach(cmd, msg, deps)
    text = _need_text(cmd, deps, "办理结果", f"/办结 {ticket.id} 已与住户沟通，问题已解决")
    ticket = results.resolve(deps, ticket, msg.sender_id, outcomes.parse(deps, ticket.id, text))
    if ticket.state == TicketState.VERIFYING:
        names = "、".join(staff_name(deps, v) for v in results.verifiers(deps, ticket))
        return deps.texts.verify_waiting.format(ticket=ticket.id, verifier=names)
    followup = outcomes.followup_of(deps, ticket) if ticket.outcome == Outcome.PARTIAL else None
    if followup is not None:  # the holder of what is left is news even in the reporters' group
        left = deps.uow.tickets.get(followup)
        holder = tickets.holder_name(deps, left) if left else ""
        return deps.texts.resolved_partial_ack.format(ticket=ticket.id, followup=followup, holder=holder)
    if deps.uow.tickets.reported_in(ticket.id, msg.chat_id):
        return None  # the result posted in this group is the answer
    return deps.texts.resolved_ack.format(ticket=ticket.id)


_GRID_END = re.compile(r"[\s:：,，]")


async def cmd_transfer(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = _ticket_in_reach(cmd, msg, deps)
    # "第十一网格：楼栋划错了" (as /帮助 shows it), "第十一网格 楼栋划错了", or the grid alone
    target = _GRID_END.split(cmd.text, maxsplit=1)[0]
    grid = grid_named(deps, msg.sender_id, target) if target else None
    if grid is not None:
        if grid.id == ticket.grid_id:
            raise TicketError(deps.texts.err_same_grid.format(ticket=ticket.id, grid=grid.name))
        reason = cmd.text[len(target) :].strip(" \t\n:：,，")
        ticket = transfers.move_to_grid(deps, ticket, msg.sender_id, grid, reason)
    elif target.endswith("网格"):
        raise TicketError(deps.texts.err_no_grid.format(grid=target))
    else:
        reason = _need_text(cmd, deps, "转办原因", f"/转办 {ticket.id} 需要物业配合")
        ticket = transfers.escalate(deps, ticket, msg.sender_id, reason, automatic=False)
    return transfers.transferred_text(deps, ticket)


async def cmd_refer(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    ticket = _ticket_in_reach(cmd, msg, deps)
    reason = _need_text(cmd, deps, "转12345的原因", f"/转12345 {ticket.id} 属于市政道路，社区无权处理")
    ticket = referrals.refer(deps, ticket, msg.sender_id, reason)
    if deps.uow.tickets.reported_in(ticket.id, msg.chat_id):
        return None  # the group's line is the answer there
    return deps.texts.referred_ack.format(ticket=ticket.id, reason=reason)


async def cmd_reject(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = _ticket_in_reach(cmd, msg, deps)
    reason = _need_text(cmd, deps, "退回原因", f"/退回 {ticket.id} 属于住户私事")
    ticket = results.reject(deps, ticket, msg.sender_id, reason)
    return deps.texts.rejected_ack.format(ticket=ticket.id)


async def cmd_report(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    text = cmd.text
    if not text:
        raise TicketError(deps.texts.err_need_text.format(what="发现的问题", example="/上报 3栋楼道堆放杂物"))
    grid = grid_of_chat(deps, msg.chat_id) if not msg.is_private else None
    if grid is None:
        grid = next((g for g in deps.settings.grids_by_id.values() if msg.sender_id in g.workers), None)
    community = community_for(deps, grid)
    if community is None:
        raise TicketError(deps.texts.err_no_grid.format(grid="（您所在网格）"))
    verdict = deps.classifier.classify(text)
    category = verdict.category if verdict.category != "none" else "other"
    ticket = tickets.open_ticket(
        deps,
        msg=msg,
        chat_id=msg.chat_id,
        chat_topic=msg.chat_topic,
        reporter_id=msg.sender_id,
        reporter_name=msg.sender_name,
        text=text,
        category=category,
        urgency=verdict.urgency,
        grid=grid,
        community=community,
        actor_id=msg.sender_id,
    )
    if ticket.holder_id == msg.sender_id:
        ticket = tickets.accept(deps, ticket, msg.sender_id)  # found it on patrol: it is theirs already
    deps.uow.messages.link(msg.pk, ticket.id)
    return deps.texts.reported.format(
        ticket=ticket.id, category=tickets.category_name(deps, ticket), holder=tickets.holder_name(deps, ticket)
    )


async def cmd_merge(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket_number(cmd, deps)  # a malformed number, first or later (/合并 2 3.5), is the format answer
    if len(cmd.numbers) < 2:
        raise TicketError(deps.texts.err_need_text.format(what="要合并的工单号", example="/合并 1024 1031"))
    others_numbers = [n for n in dict.fromkeys(cmd.numbers[1:]) if n != cmd.numbers[0]]
    if not others_numbers:
        raise TicketError(deps.texts.err_merge_self.format(ticket=cmd.numbers[0]))
    target = _ticket_in_reach(cmd, msg, deps)
    others = [_ticket_in_reach(cmd, msg, deps, number) for number in others_numbers]
    tickets.merge(deps, target, others, msg.sender_id)
    return deps.texts.merged.format(ticket=target.id, others="、".join(f"#{o.id}" for o in others))


async def cmd_mine(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    mine = deps.uow.tickets.find(states=ACTIVE_STATES, holder_id=msg.sender_id, order_by_deadline=True)
    waiting = deps.uow.likely.waiting_for([msg.sender_id])
    tail = [deps.texts.likely_waiting.format(count=waiting)] if waiting else []
    if not mine:
        return "\n".join([deps.texts.my_tickets_none, *tail])
    tz = deps.settings.tz
    lines = [deps.texts.my_tickets_header.format(count=len(mine))]
    for t in mine[:30]:
        deadline = t.deadline_at.astimezone(tz).strftime("%m-%d %H:%M") if t.deadline_at else "-"
        lines.append(
            deps.texts.my_ticket_line.format(
                ticket=t.id,
                category=tickets.category_name(deps, t),
                state=tickets.state_name(t),
                chat=t.chat_topic or "私聊",
                deadline=deadline,
            )
        )
    if len(mine) > 30:
        lines.append(f"……另有 {len(mine) - 30} 件")
    return "\n".join([*lines, *tail])


async def cmd_show(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    from handlers.domain.timeline import describe

    ticket = _ticket_in_reach(cmd, msg, deps)
    if msg.is_private and msg.sender_id == ticket.holder_id:
        # phone and ID numbers only for the holder, privately; everything else is masked
        private(deps, msg.sender_id, describe(deps, ticket), ticket_id=ticket.id, unmasked=True)
        return None
    return describe(deps, ticket)


async def cmd_bind(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    if msg.is_private:
        raise TicketError("请在要绑定的群里发送 /绑定 网格名称。")
    current = grid_of_chat(deps, msg.chat_id)
    if current is not None and not in_communities_of(deps, msg.sender_id, current):
        # the 管理 page's rule: a group of another community's grid is not yours to rebind
        raise TicketError(deps.texts.err_bind_other_community.format(grid=current.name))
    target = cmd.text.strip()
    grid = grid_named(deps, msg.sender_id, target)
    if grid is None:
        rebound = rebind_here(msg, deps, target)
        if rebound is None:
            raise TicketError(deps.texts.err_no_grid.format(grid=target or "（空）"))
        return rebound
    fixed = deps.settings.grid_of_group.get(msg.chat_id)
    if fixed is not None and fixed.id != grid.id:
        # config.yaml or the 管理 page bound it, and they win over a chat binding: saying "bound" would be false
        raise TicketError(deps.texts.err_bind_fixed.format(grid=fixed.name))
    # the room as each account keeps it: this account's row, and the row of each account whose copy of this
    # message is stored already (a copy stored later follows it then: handlers/domain/identity.py)
    for chat_id in dict.fromkeys([msg.chat_id, *(chat for _, chat in deps.uow.messages.copies_of(msg.pk))]):
        if chat_id == msg.chat_id or chat_id not in deps.settings.grid_of_group:
            deps.uow.chats.upsert(chat_id, deps.now, topic=msg.chat_topic, grid_id=grid.id, active=True)
    return deps.texts.bound.format(grid=grid.name)


def rebind_here(msg: StoredMessage, deps: Deps, target: str) -> str | None:
    """/绑定 美景天城3栋 after a re-login: this room is that known group (by topic or key); None if none is."""
    from bot.core.identity import GROUP, IdentityMap
    from handlers.jobs.rebind import BY, known_groups

    found = [k for k in known_groups(deps) if target in (k.name, k.key)]
    if not target or not found:
        return None
    group = found[0]
    # each account binds its own id of this room: this account's, and every other account's that stored its copy
    # of this very message already (a copy stored later learns it then: handlers/domain/identity.py)
    rooms = [(deps.settings.account.id, msg.chat_id), *deps.uow.messages.copies_of(msg.pk)]
    for account, chat_id in dict(rooms).items():
        platform_id = IdentityMap(deps.uow.identities.all(account)).platform_of(GROUP, chat_id) or chat_id
        deps.uow.identities.bind(
            account, GROUP, group.key, platform_id, at=deps.now, by=msg.sender_id or BY, how="/绑定"
        )
    return deps.texts.rebound_group.format(topic=group.name)


def in_communities_of(deps: Deps, person_id: str, grid: Grid) -> bool:
    community = deps.settings.community_of_grid.get(grid.id)
    return community is not None and any(c.id == community.id for c in communities_of(deps.settings, person_id))


def grid_named(deps: Deps, person_id: str, name: str) -> Grid | None:
    """A grid by name or id among the person's communities; one of another community's is refused by name."""
    named = [g for g in deps.settings.grids_by_id.values() if name in (g.name, g.id)]
    own = next((g for g in named if in_communities_of(deps, person_id, g)), None)
    if own is None and named:
        raise TicketError(deps.texts.err_grid_other_community.format(grid=named[0].name))
    return own


def staff_name(deps: Deps, person_id: str) -> str:
    return name_of(deps.settings, person_id)
