"""Staff commands: `/接单 1024`, `/办结 1024 结果`, … Every command is answered in the chat it came from."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from handlers.commands import corrections, extensions, verify
from handlers.commands.base import need_text, ticket_in_reach
from handlers.deps import Deps
from handlers.domain import points, results, tickets, transfers
from handlers.domain.outbound import private, reply
from handlers.domain.people import is_staff, name_of, reachable_grid_ids
from handlers.domain.tickets import TicketError
from handlers.jobs import digest
from nlp.commands import Command, parse_command
from storage.records import StoredMessage
from storage.states import ACTIVE_STATES, TicketState

Handler = Callable[[StoredMessage, Command, Deps], Awaitable[str | None]]

# what /帮助 shows, in this order; the role sets say who may use each
HELP: dict[str, str] = {
    "accept": "/接单 1024 — 接单",
    "progress": "/进展 1024 已联系物业 — 记录进展（加“公开”发到群里）",
    "resolve": "/办结 1024 结果说明 — 办结并把结果发回原群",
    "transfer": "/转办 1024 原因 — 交上一级（/转办 1024 第十一网格：转给其他网格）",
    "reject": "/退回 1024 原因 — 不属于工单，关闭并告知反映人",
    "report": "/上报 楼道堆放杂物 — 登记巡查发现的问题",
    "merge": "/合并 1024 1031 — 同一件事合并，结果发到所有群",
    "mine": "/我的 — 我的未办结工单",
    "show": "/查询 1024 — 工单详情和处理记录",
    "extend": "/延期 1024 2天 等配件 — 向上一级申请延期",
    "approve_extension": "/同意延期 1024 — 批准延期（上一级）",
    "refuse_extension": "/不同意延期 1024 原因 — 不批准延期（上一级）",
    "standin": "/代班 李网格 11-30 — 请假期间由他人代班，未办结工单一并转交",
    "recategorize": "/改类 1024 停车 — 改正工单类别（帮助网格助手学习）",
    "missed": "/补单 停车 — 引用一条没被登记的居民消息，补登记为工单",
    "bind": "/绑定 第十网格 — 把本群绑定到网格（社区书记）",
    "verify": "/核查 1024 — 核查通过，结果发给反映人（/核查 1024 不通过 原因：返工）",
    "rework": "/返工 1024 原因 — 核查未通过，退回返工",
    "points": "/积分 — 我本月的积分（/积分 张燕：查看同事的）",
    "ranking": "/排行 — 本月积分排行",
    "digest_day": "/日报 /周报 /月报 — 本社区的日报、周报（附图）、月报（附图）",
    "help": "/帮助 — 本说明",
}
SECRETARY_ONLY = frozenset({"bind"})
# 核查 / 返工: verifiers and the community-wide roles
VERIFIER_ONLY = frozenset({"verify", "rework"})
SUPERVISOR_ONLY = frozenset({"digest_day"})


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
    if public and msg.chat_id in {rep.chat_id for rep in deps.uow.tickets.reporters(ticket.id)}:
        return None  # the public note itself is the answer in this group
    return deps.texts.progress_saved.format(ticket=ticket.id)


async def cmd_resolve(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    ticket = _ticket_in_reach(cmd, msg, deps)
    result = _need_text(cmd, deps, "办理结果", f"/办结 {ticket.id} 已与住户沟通，问题已解决")
    ticket = results.resolve(deps, ticket, msg.sender_id, result)
    if ticket.state == TicketState.VERIFYING:
        names = "、".join(staff_name(deps, v) for v in results.verifiers(deps, ticket))
        return deps.texts.verify_waiting.format(ticket=ticket.id, verifier=names)
    if msg.chat_id in {rep.chat_id for rep in deps.uow.tickets.reporters(ticket.id)}:
        return None  # the result posted in this group is the answer
    return deps.texts.resolved_ack.format(ticket=ticket.id)


_GRID_END = re.compile(r"[\s:：,，]")


async def cmd_transfer(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = _ticket_in_reach(cmd, msg, deps)
    # "第十一网格：楼栋划错了" (as /帮助 shows it), "第十一网格 楼栋划错了", or the grid alone
    target = _GRID_END.split(cmd.text, maxsplit=1)[0]
    grid = next((g for g in deps.settings.grids_by_id.values() if target in (g.name, g.id)), None) if target else None
    if grid is not None:
        reason = cmd.text[len(target) :].strip(" \t\n:：,，")
        ticket = transfers.move_to_grid(deps, ticket, msg.sender_id, grid, reason)
    elif target.endswith("网格"):
        raise TicketError(deps.texts.err_no_grid.format(grid=target))
    else:
        reason = _need_text(cmd, deps, "转办原因", f"/转办 {ticket.id} 需要物业配合")
        ticket = transfers.escalate(deps, ticket, msg.sender_id, reason, automatic=False)
    return transfers.transferred_text(deps, ticket)


async def cmd_reject(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    ticket = _ticket_in_reach(cmd, msg, deps)
    reason = _need_text(cmd, deps, "退回原因", f"/退回 {ticket.id} 属于住户私事")
    ticket = results.reject(deps, ticket, msg.sender_id, reason)
    return deps.texts.rejected_ack.format(ticket=ticket.id)


async def cmd_report(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    from handlers.resident.reports import community_for, grid_of_chat

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
    if len(cmd.numbers) < 2:
        raise TicketError(deps.texts.err_need_text.format(what="要合并的工单号", example="/合并 1024 1031"))
    target = _ticket_in_reach(cmd, msg, deps)
    others = []
    for number in dict.fromkeys(cmd.numbers[1:]):
        if number == target.id:
            continue
        others.append(_ticket_in_reach(Command(cmd.verb, cmd.action, number, (number,), ""), msg, deps))
    tickets.merge(deps, target, others, msg.sender_id)
    return deps.texts.merged.format(ticket=target.id, others="、".join(f"#{o.id}" for o in others))


async def cmd_mine(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    mine = deps.uow.tickets.find(states=ACTIVE_STATES, holder_id=msg.sender_id, order_by_deadline=True)
    if not mine:
        return deps.texts.my_tickets_none
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
    return "\n".join(lines)


async def cmd_show(msg: StoredMessage, cmd: Command, deps: Deps) -> str | None:
    from handlers.domain.timeline import describe

    ticket = _ticket_in_reach(cmd, msg, deps)
    if msg.is_private and msg.sender_id == ticket.holder_id:
        # phone and ID numbers only for the holder, privately; everything else is masked
        private(deps, msg.sender_id, describe(deps, ticket), ticket_id=ticket.id, unmasked=True)
        return None
    return describe(deps, ticket)


async def cmd_bind(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    person = deps.settings.people_by_id[msg.sender_id]
    if person.role not in ("secretary", "street_center", "supervisor"):
        raise TicketError("只有社区书记可以绑定群。")
    if msg.is_private:
        raise TicketError("请在要绑定的群里发送 /绑定 网格名称。")
    target = cmd.text.strip()
    grid = next((g for g in deps.settings.grids_by_id.values() if target in (g.name, g.id)), None)
    if grid is None:
        raise TicketError(deps.texts.err_no_grid.format(grid=target or "（空）"))
    deps.uow.chats.upsert(msg.chat_id, deps.now, topic=msg.chat_topic, grid_id=grid.id, active=True)
    return deps.texts.bound.format(grid=grid.name)


async def cmd_help(msg: StoredMessage, cmd: Command, deps: Deps) -> str:
    role = deps.settings.people_by_id[msg.sender_id].role
    lines = [deps.texts.help_header]
    for action, line in HELP.items():
        if action in SECRETARY_ONLY and role not in ("secretary", "street_center", "supervisor"):
            continue
        if action in VERIFIER_ONLY and role not in ("verifier", "secretary", "street_center", "supervisor"):
            continue
        if action in SUPERVISOR_ONLY and role not in ("secretary", "street_center", "supervisor"):
            continue
        lines.append(line)
    return "\n".join(lines)


COMMANDS: dict[str, Handler] = {
    "accept": cmd_accept,
    "progress": cmd_progress,
    "resolve": cmd_resolve,
    "transfer": cmd_transfer,
    "reject": cmd_reject,
    "report": cmd_report,
    "merge": cmd_merge,
    "mine": cmd_mine,
    "show": cmd_show,
    "bind": cmd_bind,
    "help": cmd_help,
    "extend": extensions.cmd_extend,
    "approve_extension": extensions.cmd_approve_extension,
    "refuse_extension": extensions.cmd_refuse_extension,
    "standin": extensions.cmd_standin,
    "recategorize": corrections.cmd_recategorize,
    "missed": corrections.cmd_missed,
    "verify": verify.cmd_verify,
    "rework": verify.cmd_rework,
    "points": points.cmd_points,
    "ranking": points.cmd_ranking,
    "digest_day": digest.cmd_digest,
    "digest_week": digest.cmd_digest,
    "digest_month": digest.cmd_digest,
}


async def on_command(msg: StoredMessage, deps: Deps) -> int | None:
    cmd = parse_command(msg.text)
    if cmd is None:
        return None
    if not is_staff(deps.settings, msg.sender_id):
        # a resident typing a slash: answered once a day, then ignored
        day = deps.now.astimezone(deps.settings.tz).date().isoformat()
        if deps.uow.state.claim_notice(f"norole:{msg.sender_id}:{day}", deps.now):
            reply(deps, msg.chat_id, deps.texts.err_no_role, [] if msg.is_private else [msg.sender_id])
        return None
    handler = COMMANDS.get(cmd.action)
    if handler is None:
        reply(deps, msg.chat_id, deps.texts.err_unknown_command.format(verb=cmd.verb))
        return None
    mention: list[str] = []
    try:
        # a refused command changes nothing: whatever it wrote before refusing is rolled back
        with deps.uow.savepoint():
            answer = await handler(msg, cmd, deps)
    except TicketError as exc:
        answer = str(exc)
        mention = [] if msg.is_private else [msg.sender_id]
    if answer:
        reply(deps, msg.chat_id, answer, mention)
    return None


def staff_name(deps: Deps, person_id: str) -> str:
    return name_of(deps.settings, person_id)


__all__ = ["COMMANDS", "on_command", "reachable_grid_ids"]
