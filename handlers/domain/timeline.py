"""A ticket and its timeline, as `/查询` shows it."""

from __future__ import annotations

from handlers.deps import Deps
from handlers.domain import tickets
from storage.records import Ticket

ACTION_NAMES = {
    "created": "登记",
    "joined": "并入反映",
    "urgent": "升为紧急",
    "not_urgent": "恢复一般",
    "split": "拆分",
    "accepted": "接单",
    "progress": "进展",
    "resolved": "办结",
    "continued": "接续办理",
    "paused": "挂起",
    "referred": "转12345",
    "resumed": "恢复办理",
    "rejected": "退回",
    "transferred": "转办",
    "escalated": "超时升级",
    "overdue": "超期督办",
    "moved": "转其他网格",
    "reassigned": "网格员变更转交",
    "cadre_reassigned": "片区负责人变更转交",
    "standin": "代班转交",
    "standin_ended": "代班结束交还",
    "merged": "合并了",
    "merged_into": "合并到",
    "reopened": "重新打开",
    "rated": "评价",
    "cancelled": "取消",
    "recalled": "反映人撤回",
    "evidence": "补充图片/位置",
    "reminded": "提醒",
    "status": "群内告知进度",
    "faq": "自动答复",
    "extension_requested": "申请延期",
    "extended": "延期",
    "extension_refused": "延期未批准",
    "verified": "核查通过",
    "rework": "返工",
    "closed": "关闭",
    "recategorized": "改类",
    "missed": "补单",
}


def describe(deps: Deps, ticket: Ticket) -> str:
    tz = deps.settings.tz
    head = deps.texts.ticket_detail.format(
        ticket=ticket.id,
        category=tickets.category_name(deps, ticket),
        state=tickets.state_name(ticket),
        level=ticket.level,
        holder=tickets.holder_name(deps, ticket),
        chat=ticket.chat_topic or "私聊",
        reporter=ticket.reporter_name,
        text=ticket.text[:300],
    )
    if ticket.deadline_at and ticket.is_active:
        head += f"\n期限：{ticket.deadline_at.astimezone(tz):%m-%d %H:%M}"
    if ticket.paused_at and ticket.resume_at and ticket.is_active:
        head += "\n" + deps.texts.detail_paused.format(until=f"{ticket.resume_at.astimezone(tz):%m-%d %H:%M}")
    lines = [head]
    for ev in deps.uow.tickets.events(ticket.id):
        note = f"：{ev.note[:80]}" if ev.note else ""
        lines.append(
            deps.texts.timeline_line.format(
                at=ev.at.astimezone(tz).strftime("%m-%d %H:%M"),
                actor=ev.actor_name or "网格助手",
                action=ACTION_NAMES.get(ev.action, ev.action),
                note=note,
            )
        )
    return "\n".join(lines)
