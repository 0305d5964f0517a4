"""Every sentence the bot says to people, in one place.

Defaults are here; a community overrides any of them under `texts:` in
config.yaml. Placeholders use str.format names. No text writes `@name`: the
adapters render mentions from the message's mention list.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # resident-facing
    ack: str = "已登记 #{ticket}【{category}】，由{holder}跟进，{promise_hours}小时内给您回复。"
    ack_urgent: str = "已登记 #{ticket}【{category}】（紧急），已通知{holders}。{advice}"
    ack_private_sensitive: str = (
        "您反映的情况已登记为 #{ticket}【{category}】，由{holder}私下与您联系，{promise_hours}小时内给您回复。"
    )
    ack_sensitive_group: str = "已收到，工作人员会私下与您联系。"
    joined: str = "这件事已在 #{ticket}【{category}】登记，由{holder}跟进，办理结果会一并告诉您。如不是同一件事，请回复“不是同一件事”。"
    joined_urgent: str = (
        "这件事已在 #{ticket}【{category}】紧急登记，工作人员已收到通知。{advice}如不是同一件事，请回复“不是同一件事”。"
    )
    split: str = "好的，已单独登记 #{ticket}【{category}】，由{holder}跟进，{promise_hours}小时内给您回复。"
    split_nothing: str = "没有找到可以拆分的登记。"
    clarify: str = "您是要反映问题吗？请回复数字：{menu}"
    faq_answer: str = "#{ticket}【{category}】{answer}（{holder}会再确认补充）"
    resolved: str = "#{ticket} 已办结：{result}\n满意请回复“满意”，仍有问题请回复“不满意”。"
    rejected_to_reporter: str = "#{ticket} 经核实不属于需要办理的事项，已关闭：{reason}。如有疑问请联系{holder}。"
    cancelled_recall: str = "#{ticket} 已随您撤回的消息取消。"
    voice_reply: str = "收到您的语音。为方便登记，请用几个字说明一下情况，例如：“3栋楼道灯坏了”。"
    escalated_status: str = "#{ticket}【{category}】已转交{to} 处理，请您耐心等待。"  # to: 片区负责人 王片长
    status_line: str = "#{ticket}【{category}】正在办理中，目前由{holder}跟进。"
    private_where: str = "您好，已收到，会转给社区工作人员与您联系。以后也可以在您小区的居民群里直接反映。"
    status_resolved: str = "#{ticket}【{category}】已办结：{result}。如仍有问题，请回复“不满意”。"
    status_none: str = "没有查到您反映的、还在办理中的事项。如有问题，请直接说明情况，我们会登记跟进。"
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
    rejected_ack: str = "#{ticket} 已退回，已告知反映人。"
    transferred: str = "#{ticket} 已转交{to}。"  # to: 杨海霞（片区负责人）
    transferred_to_you: str = "#{ticket}【{category}】已转交您处理（{reason}）。原处理人：{previous}。内容：{text}"
    recategorized: str = "#{ticket} 类别已改为【{category}】，谢谢指正。"
    reported: str = "已登记 #{ticket}【{category}】，由{holder}跟进。"
    merged: str = "已将 {others} 合并到 #{ticket}，办结结果会发到所有相关群。"
    private_unplaced_staff: str = "{reporter}（私聊网格助手，尚不知道住哪个小区）反映：{text}\n请认领并与其联系。"
    new_ticket_private: str = "新工单 #{ticket}【{category}】来自「{chat}」{reporter}：{text}"
    recalled_notice: str = "#{ticket} 的反映人撤回了原消息。"
    voice_forward: str = "「{chat}」{reporter} 发来一条语音，请留意：{ref}"
    my_tickets_header: str = "您有 {count} 件未办结工单："
    my_tickets_none: str = "您目前没有未办结的工单。"
    my_ticket_line: str = "#{ticket}【{category}】{state} · {chat} · 期限 {deadline}"
    ticket_detail: str = (
        "#{ticket}【{category}】{state} · 第{level}级 {holder}\n群：{chat} · 反映人：{reporter}\n内容：{text}"
    )
    timeline_line: str = "{at} {actor} {action}{note}"
    help_header: str = "您可以使用的命令："
    unknown_group_staff: str = "网格助手被拉进了未绑定的群「{chat}」。请社区书记在该群发送 /绑定 网格名称。"
    send_unknown: str = "网格助手发送消息时中断（重启或连接断开），不确定是否已发出，请到「{chat}」核对：{text}"
    bound: str = "本群已绑定到{grid}。"
    extension_asked: str = "#{ticket}【{category}】{who}申请延期 {amount}：{reason}。同意请回复 /同意延期 {ticket}，不同意请回复 /不同意延期 {ticket} 原因"
    extension_sent: str = "#{ticket} 延期申请已发给{approver}。"
    extension_approved: str = "#{ticket} 延期已批准，新的期限是 {deadline}。"
    extension_refused: str = "#{ticket} 延期未获批准：{reason}"
    standin_set: str = "已设置：{until} 前由{by}代班，{count} 件未办结工单已转交。"
    reassigned_to_you: str = (
        "{grid}的网格员已由{previous}改为您，{count} 件未办结工单已转给您：{tickets}。发送 /我的 查看。"
    )
    cadre_reassigned_to_you: str = (
        "{grid}的片区负责人已由{previous}改为您，{count} 件未办结工单已转给您：{tickets}。发送 /我的 查看。"
    )
    cadre_removed_to_you: str = (
        "{grid}不再设片区负责人，{previous}手上 {count} 件未办结工单已转给您：{tickets}。发送 /我的 查看。"
    )
    standin_notice: str = "{who}请假，{until} 前由您代班，已转交 {count} 件未办结工单。发送 /我的 查看。"
    health_problem: str = "网格助手运行异常：{problem}。消息可能发不出去，请联系管理员检查。"
    schedule_warning: str = (
        "提醒：节假日安排只知道到 {until}，请在 config.yaml 的 holidays: 中补充下一年的放假和调休日期。"
    )
    # closing the loop: ratings, reopening, verification (核查) and rework (返工)
    resolved_private: str = "#{ticket}【{category}】已办结：{result}\n满意请回复“满意”，仍有问题请回复“不满意”。"
    reopened_to_reporter: str = "#{ticket} 已重新交给{holder}办理，会尽快给您答复。"
    reopened_to_holder: str = "#{ticket}【{category}】反映人表示仍未解决，已重新打开，请在 {deadline} 前办理：{text}"
    verify_request: str = "#{ticket}【{category}】{holder}已办结，请核查：{result}\n核查通过请回复 /核查 {ticket}，需要返工请回复 /返工 {ticket} 原因"
    verify_waiting: str = "#{ticket} 已办结，等待{verifier}核查，核查通过后结果发到原群。"
    verified_ack: str = "#{ticket} 核查通过，结果已发给反映人。"
    rework_ack: str = "#{ticket} 已退回{holder}返工。"
    rework_to_holder: str = "#{ticket}【{category}】核查未通过，需要返工：{reason}。请在 {deadline} 前重新办结。"
    err_bind_role: str = "只有社区书记可以绑定群。"
    err_not_verifier: str = "只有核查员、社区书记或督办人员可以核查和返工。"
    # points (积分) and digests (日报 / 周报 / 月报)
    points_mine: str = "{name} 本月积分 {month} 分（累计 {total} 分）。\n{lines}"
    points_none: str = "{name} 本月还没有积分记录（累计 {total} 分）。"
    points_line: str = "{reason} {count} 次 {points:+d}"
    ranking_header: str = "{community} 本月积分排行："
    ranking_line: str = "{rank}. {name} {points} 分"
    ranking_none: str = "{community} 本月还没有积分记录。"
    point_reasons: dict[str, str] = {
        "resolved_on_time": "按时办结",
        "resolved_late": "超时办结",
        "satisfied": "居民满意",
        "basic": "基本满意",
        "unsatisfied": "居民不满意",
        "reopened": "被重新打开",
        "rework": "返工",
    }
    digest_periods: dict[str, str] = {"day": "日报", "week": "周报", "month": "月报"}
    digest_title: str = "【{community}{period}】{start} 至 {end}"
    digest_counts: str = "新增 {new} · 办结 {closed} · 在办 {open} · 超期 {overdue}"
    digest_rates: str = "按时办结 {on_time} · 满意 {satisfied}\n首次响应中位 {response} · 办结用时中位 {resolution}"
    digest_categories: str = "分类：{items}"
    digest_grids: str = "各网格："
    # each figure named: the ratios are "1/2" themselves, so a "/"-separated row read as nine numbers
    digest_grid_line: str = "{grid}·{workers}：在办{open} 超期{overdue} 按时{on_time} 满意{satisfied} 响应{response} 办结{resolution} 积分{points}"
    digest_overdue: str = "超期工单："
    digest_overdue_line: str = "#{ticket}【{category}】{who}超期{late} {chat}{text}"  # who: 杨海霞（片区负责人）
    digest_overdue_more: str = "……另有 {count} 件"
    digest_overdue_ranking: str = "超期分布：{items}"
    digest_points: str = "积分：{items}"
    digest_nothing: str = "无"
    digest_chart_caption: str = "{community}{period}图表"
    chart_categories: str = "各类工单（新增）"
    chart_on_time: str = "各网格按时办结率"
    err_digest_role: str = "日报、周报、月报仅限社区书记和督办人员查看。"
    # errors: one line that says what went wrong and what to type instead
    err_no_role: str = "此命令仅限网格工作人员使用。"
    err_unknown_command: str = "没有“{verb}”这个命令。发送 /帮助 查看可用命令。"
    err_need_ticket: str = "请带上工单号，例如：/{verb} 1024"
    err_need_text: str = "请写明{what}，例如：{example}"
    err_no_ticket: str = "没有找到工单 #{ticket}。发送 /我的 查看您的工单。"
    err_not_in_reach: str = "#{ticket} 不在您负责的范围内。"
    err_wrong_state: str = "#{ticket} {state}，不能再{verb}。"
    err_no_grid: str = "没有找到网格“{grid}”。"
    err_top_level: str = "#{ticket} 已在最高一级，无法再向上转办。"
    err_private_only: str = "请私聊网格助手使用这个命令。"
    err_extension_range: str = "延期时长需在 30 天以内，例如：/延期 1024 2天 等配件"
    err_no_extension: str = "#{ticket} 没有待您审批的延期申请。"
    err_standin_format: str = "请写明代班人和截止日期，例如：/代班 李网格 11-30 或 /代班 李网格 3天"
    err_unknown_category: str = "没有“{word}”这个类别。可选：{menu}"
    err_missed_quote: str = "请引用那条居民消息再发送 /补单（可加类别，例如 /补单 停车）。"
    err_missed_already: str = "这条消息已经登记为 #{ticket}。"
    err_too_long: str = "消息太长了，请精简到{limit}字以内再发。"
