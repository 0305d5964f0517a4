"""What grid workers and the ladder's other levels read: command answers, escalations, notices. Part of `Texts` (bot/core/texts.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StaffTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # staff-facing
    remind_accept: str = "#{ticket}【{category}】还没有接单，请尽快处理（{chat}）。"
    remind_deadline: str = "#{ticket}【{category}】将于 {deadline} 到期，请抓紧办理。"
    escalation_reason: str = "超过{hours}小时未办结"
    escalated_staff_late: str = "（系统恢复后补发，晚了{late}）"
    overdue_top: str = "#{ticket}【{category}】已超过{level_name}期限仍未办结，请督办。处理人：{holder}。"
    accepted: str = "#{ticket} 已由{holder}接单。"
    progress_saved: str = "#{ticket} 进展已记录。"
    progress_public: str = "#{ticket} 最新进展：{note}"
    resolved_ack: str = "#{ticket} 已办结，结果已发到原群。"
    resolved_partial_ack: str = "#{ticket} 已办结（部分解决），未解决部分已登记为 #{followup}，由{holder}跟进。"
    followup_note: str = "#{ticket} 部分解决后的未解决部分"  # timeline note of the follow-up ticket
    paused_ack: str = "#{ticket} 已挂起：{reason}。计时暂停，最迟 {until} 自动恢复（/恢复 {ticket} 可提前恢复）。"
    resumed_ack: str = "#{ticket} 已恢复办理{deadline}。"
    resumed_deadline: str = "，期限顺延至 {deadline}"
    resumed_auto_staff: str = "#{ticket}【{category}】挂起已满{days}天，已自动恢复办理{deadline}。"
    resumed_auto_note: str = "挂起期满，自动恢复"  # timeline note
    resumed_urgent_note: str = "升为紧急，恢复计时"  # timeline note: a paused ticket became urgent
    resumed_on_close_note: str = "办结前恢复计时"  # timeline note: a paused ticket resolved or rejected
    detail_paused: str = "挂起中：最迟 {until} 自动恢复"  # /查询
    referred_ack: str = "#{ticket} 已转12345：{reason}。已告知反映人。"
    rejected_ack: str = "#{ticket} 已退回，已告知反映人。"
    transferred: str = "#{ticket} 已转交{to}。"  # to: 杨海霞（片区负责人）
    transferred_to_you: str = "#{ticket}【{category}】已转交您处理（{reason}）。原处理人：{previous}。内容：{text}"
    recategorized: str = "#{ticket} 类别已改为【{category}】，谢谢指正。"
    reported: str = "已登记 #{ticket}【{category}】，由{holder}跟进。"
    merged: str = "已将 {others} 合并到 #{ticket}，办结结果会发到所有相关群。"
    private_unplaced_staff: str = "{reporter}（私聊网格助手，尚不知道住哪个小区）反映：{text}\n请认领并与其联系。"
    new_ticket_private: str = "新工单 #{ticket}【{category}】来自「{chat}」{reporter}：{text}"
    not_urgent_note: str = "升为紧急的反映人说明不是同一件事，已单独登记，本工单恢复原期限"  # timeline note
    raised_urgent_staff: str = "#{ticket}【{category}】升为紧急：「{chat}」{reporter}：{text}"
    recalled_notice: str = "#{ticket} 的反映人撤回了原消息。"
    voice_forward: str = "「{chat}」{reporter} 发来一条语音，请留意：{ref}"
    my_tickets_header: str = "您有 {count} 件未办结工单："
    my_tickets_none: str = "您目前没有未办结的工单。"
    my_ticket_line: str = "#{ticket}【{category}】{state} · {chat} · 期限 {deadline}"
    # likely requests (#16): what the classifier was unsure of, for the grid worker to decide
    likely_header: str = "有 {count} 条消息可能是居民诉求，请确认（{hours}小时内未处理的自动失效）："
    likely_line: str = (
        "{item}. 疑似诉求（{grid}·{chat}）{reporter}：{text} {urgent}回复 /登记 {item} 立案，/忽略 {item} 不处理"
    )
    likely_urgent_mark: str = "【可能紧急】"
    likely_waiting: str = "另有 {count} 条疑似诉求待您确认（/登记 编号 立案，/忽略 编号 不处理）。"
    likely_registered: str = "疑似诉求 {item} 已登记为 #{ticket}【{category}】，由{holder}跟进。"
    likely_dismissed: str = "已忽略疑似诉求 {item}，群里不会有任何消息。"
    likely_states: dict[str, str] = {"registered": "已登记", "dismissed": "已忽略", "lapsed": "已过期失效"}
    ticket_detail: str = (
        "#{ticket}【{category}】{state} · 第{level}级 {holder}\n群：{chat} · 反映人：{reporter}\n内容：{text}"
    )
    timeline_line: str = "{at} {actor} {action}{note}"
    help_header: str = "您可以使用的命令："
    unknown_group_staff: str = "网格助手被拉进了未绑定的群「{chat}」。请社区书记在该群发送 /绑定 网格名称。"
    send_unknown: str = "网格助手发送消息时中断（重启或连接断开），不确定是否已发出，请到「{chat}」核对：{text}"
    bound: str = "本群已绑定到{grid}。"
    # ids that change (README "Ids that change"): what a re-login re-bound and what it could not
    rebind_title: str = "网格助手重新登录后，微信给群和联系人换了新编号："
    rebind_title_account: str = "网格助手（账号 {account}）重新登录后，微信给群和联系人换了新编号："
    rebind_done: str = "已重新对应：{items}。"
    rebind_group: str = "群「{topic}」"
    rebind_person: str = "{name}"
    rebind_residents: str = "居民 {count} 人"
    rebind_ambiguous_group: str = "群「{topic}」有{count}个同名群，请用 /绑定 确认：在对应的群里发送 /绑定 {topic}。"
    rebind_missing_group: str = "没有找到群「{topic}」（可能已改名），请在该群里发送 /绑定 {topic}。"
    rebind_ambiguous_person: str = "「{name}」对应到{count}个联系人，请在管理页给他/她填上微信备注（alias）。"
    rebind_missing_person: str = "没有找到工作人员「{name}」，请请他/她私聊网格助手，或在管理页填上微信备注。"
    rebind_missing_residents: str = "未能重新对应的居民：{names}。他们对原工单的评价或补充可能对不上，请网格员留意。"
    rebind_residents_more: str = "{names}等{count}人"
    rebound_group: str = "本群已重新对应为「{topic}」，原有工单和绑定照旧。"
    extension_asked: str = "#{ticket}【{category}】{who}申请延期 {amount}：{reason}。同意请回复 /同意延期 {ticket}，不同意请回复 /不同意延期 {ticket} 原因"
    extension_sent: str = "#{ticket} 延期申请已发给{approver}。"
    extension_approved: str = "#{ticket} 延期已批准，新的期限是 {deadline}。"
    extension_refused: str = "#{ticket} 延期未获批准：{reason}"
    standin_set: str = "已设置：{until}（含当天）以前由{by}代班，{count} 件未办结工单已转交。"
    reassigned_to_you: str = (
        "{grid}的网格员已由{previous}改为您，{count} 件未办结工单已转给您：{tickets}。发送 /我的 查看。"
    )
    cadre_reassigned_to_you: str = (
        "{grid}的片区负责人已由{previous}改为您，{count} 件未办结工单已转给您：{tickets}。发送 /我的 查看。"
    )
    cadre_removed_to_you: str = (
        "{grid}不再设片区负责人，{previous}手上 {count} 件未办结工单已转给您：{tickets}。发送 /我的 查看。"
    )
    standin_notice: str = "{who}请假，{until}（含当天）以前由您代班，已转交 {count} 件未办结工单。发送 /我的 查看。"
    standin_ended: str = "{by}的代班已结束，{count} 件未办结工单已交还给您：{tickets}。发送 /我的 查看。"
    health_problem: str = "网格助手运行异常：{problem}。消息可能发不出去，请联系管理员检查。"
    # account_limits (#18): WeChat restricts an account that sends too much or sits in too many groups
    limit_messages_near: str = (
        "提醒：机器人账号今天已发送 {count} 条消息，接近每日上限 {limit} 条。"
        "达到上限后，群里的非紧急消息将顺延到明天发送。"
    )
    limit_messages_reached: str = (
        "机器人账号今天已发送 {count} 条消息，达到每日上限 {limit} 条：群里的非紧急消息顺延到明天发送，"
        "紧急消息和工作群通知照常发送。"
    )
    limit_groups_near: str = "提醒：机器人账号已在 {count} 个群里，接近上限 {limit} 个，请考虑启用第二个账号。"
    limit_groups_reached: str = (
        "机器人账号已在 {count} 个群里，达到上限 {limit} 个：再加入更多群有被微信限制的风险，请启用第二个账号。"
    )
    # a second account in the same groups (#18): the standby speaks now, and says why and what it sends
    speaker_took_over: str = (
        "机器人备用账号（{account}）已接替发言：原发言账号（{previous}）{why}。"
        "尚未发出的 {pending} 条消息由本账号补发，已发出的不会重发。"
    )
    speaker_gone: str = "已 {seconds} 秒不在线（退出登录、被封或网关中断）"
    speaker_stopped: str = "已停止运行"
    schedule_warning: str = (
        "提醒：节假日安排只知道到 {until}，请在 config.yaml 的 holidays: 中补充下一年的放假和调休日期。"
    )
