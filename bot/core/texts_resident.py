"""What residents read in their groups and privately. Part of `Texts` (bot/core/texts.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ResidentTexts(BaseModel):
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
    # a resident who writes in English is answered in English (#16)
    ack_en: str = (
        "Registered as #{ticket} ({category}). {holder} will follow it up and reply within {promise_hours} hours."
    )
    ack_urgent_en: str = "Registered as #{ticket} ({category}), URGENT: {holders} have been alerted. {advice}"
    joined_en: str = (
        "This is already registered as #{ticket} ({category}); {holder} is following it up and you will hear "
        "the result too. If it is a different matter, reply “not the same”."
    )
    joined_urgent_en: str = (
        "This is already registered as #{ticket} ({category}), URGENT: staff have been alerted. {advice}"
        "If it is a different matter, reply “not the same”."
    )
    # a private message that is not a ticket is never met with silence: a person reads it (#22)
    private_ack: str = "收到，已转给{worker}，看过后会回复您。"
    private_ack_en: str = "Thank you, your message has been passed on to {worker}, who will read it and reply."
    joined_raised_en: str = (
        "This is already registered as #{ticket} ({category}) and is now handled as URGENT: {holders} "
        "have been alerted. {advice}If it is a different matter, reply “not the same”."
    )
    # an emergency about the same thing as an ordinary open ticket: it joins, and the ticket becomes urgent
    joined_raised: str = (
        "这件事已在 #{ticket}【{category}】登记，现已按紧急处理，已通知{holders}。{advice}"
        "如不是同一件事，请回复“不是同一件事”。"
    )
    split: str = "好的，已单独登记 #{ticket}【{category}】，由{holder}跟进，{promise_hours}小时内给您回复。"
    split_nothing: str = "没有找到可以拆分的登记。"
    faq_answer: str = "#{ticket}【{category}】{answer}（{holder}会再确认补充）"
    resolved: str = "#{ticket} 已办结：{result}\n满意请回复“满意”，仍有问题请回复“不满意”。"
    # 办结's other outcomes (#21): told honestly, and rated like any result
    resolved_partial: str = (
        "#{ticket} 部分解决：{result}\n未解决部分：{left}，已登记为 #{followup} 继续办理。\n"
        "满意请回复“满意”，仍有问题请回复“不满意”。"
    )
    resolved_unsolved: str = "#{ticket} 无法解决：{result}{referred}\n满意请回复“满意”，仍有问题请回复“不满意”。"
    outcome_referred: str = "。已转交{body}"
    outcome_partial_summary: str = "部分解决：{result}；未解决部分：{left}"
    outcome_unsolved_summary: str = "无法解决：{result}{referred}"
    # /挂起 and /恢复 (#21): the residents know why nothing moves, and when it moves again
    paused_to_reporter: str = "#{ticket} 已挂起：{reason}。条件具备后继续办理，最迟 {until} 恢复。"
    resumed_to_reporter: str = "#{ticket} 已恢复办理，由{holder}跟进。"
    referred_to_reporter: str = "#{ticket} 超出社区职权，已转12345市民服务热线办理：{reason}。后续进展可拨打12345查询。"
    rejected_to_reporter: str = "#{ticket} 经核实不属于需要办理的事项，已关闭：{reason}。如有疑问请联系{holder}。"
    cancelled_recall: str = "#{ticket} 已随您撤回的消息取消。"
    voice_reply: str = "收到您的语音。为方便登记，请用几个字说明一下情况，例如：“3栋楼道灯坏了”。"
    escalated_status: str = "#{ticket}【{category}】已转交{to} 处理，请您耐心等待。"  # to: 片区负责人 王片长
    status_line: str = "#{ticket}【{category}】正在办理中，目前由{holder}跟进。"
    private_where: str = "您好，已收到，会转给社区工作人员与您联系。以后也可以在您小区的居民群里直接反映。"
    status_resolved: str = "#{ticket}【{category}】已办结：{result}。如仍有问题，请回复“不满意”。"
    # asked while paused or after a /转12345 (#21): the pause and the hand-over, not "正在办理中" or "nothing"
    status_paused: str = (
        "#{ticket}【{category}】已挂起：{reason}。条件具备后继续办理，最迟 {until} 恢复，由{holder}跟进。"
    )
    status_referred: str = "#{ticket}【{category}】已转12345市民服务热线办理：{reason}。后续进展可拨打12345查询。"
    status_none: str = "没有查到您反映的、还在办理中的事项。如有问题，请直接说明情况，我们会登记跟进。"
    # what a resident may do (/帮助 from someone without a staff role)
    help_resident: str = (
        "您可以这样找网格助手：\n"
        "· 反映问题：直接说明情况，例如“3栋楼道灯坏了”，会登记并告诉您由谁跟进\n"
        "· 问进度：问“我反映的事怎么样了”\n"
        "· 评价：办结后回复“满意”“基本满意”或“不满意”（不满意会重新办理）\n"
        "· 被并到别人的登记里、其实不是同一件事：回复“不是同一件事”\n"
        "· 找网格员：问“我们的网格员是谁”\n"
        "· 看楼门公约：在群里发 /公约"
    )
    worker_contact: str = (
        "您所在的{grid}由网格员{workers}负责。有事直接在这里或居民群里说明情况，我们会登记并转给{workers}跟进。"
    )
    worker_contact_phone: str = "{name}的工作电话：{phone}。"  # only for a number config marks `phone_public`
    worker_unknown: str = (
        "您好，请问您住在哪个小区、几栋？告诉我们后会请您所在网格的网格员与您联系。也可以直接说明情况，我们会登记跟进。"
    )
