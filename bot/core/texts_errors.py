"""Errors: one line that says what went wrong and what to type instead. Part of `Texts` (bot/core/texts.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ErrorTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # errors: one line that says what went wrong and what to type instead
    err_no_role: str = "此命令仅限网格工作人员使用。"
    err_unknown_command: str = "没有“{verb}”这个命令。发送 /帮助 查看可用命令。"
    err_need_ticket: str = "请带上工单号，例如：/{verb} 1024"
    err_need_text: str = "请写明{what}，例如：{example}"
    err_pause_urgent: str = "#{ticket} 是紧急工单，不能挂起，请尽快处置。"
    err_already_paused: str = "#{ticket} 已在挂起中，最迟 {until} 自动恢复。"
    err_not_paused: str = "#{ticket} 没有挂起，无需恢复。"
    err_partial_parts: str = (
        "部分解决请写明已办的和剩余的，例如：/办结 {ticket} 部分解决：3楼的灯已修好 剩余：5楼的灯等配件"
    )
    err_unsolved_reason: str = "无法解决请写明原因（转交了哪个单位也请写上），例如：/办结 {ticket} 无法解决：属于市政供水管网 转交：区自来水公司"
    err_bad_ticket: str = "“{given}”不是工单号：工单号只写数字，后面空一格再写内容，例如：/{verb} 1024"
    err_no_ticket: str = "没有找到工单 #{ticket}。发送 /我的 查看您的工单。"
    err_not_in_reach: str = "#{ticket} 不在您负责的范围内。"
    err_wrong_state: str = "#{ticket} {state}，不能再{verb}。"
    err_no_grid: str = "没有找到网格“{grid}”。"
    err_merge_self: str = "#{ticket} 不能合并到它自己。请写两个不同的工单号，例如：/合并 1024 1031"
    err_urgent_reject: str = "#{ticket} 是紧急工单，不能退回：请办结并写明处理结果，或请社区书记处理。"
    err_urgent_refer: str = "#{ticket} 是紧急工单，不能转12345：请先处置并办结，或请社区书记处理。"
    err_same_grid: str = "#{ticket} 已经在{grid}，不用转办。转给其他网格请写它的名称，例如：/转办 {ticket} 第十一网格"
    err_grid_other_community: str = "{grid}不属于您的社区，不能转过去或绑定。"
    err_bind_other_community: str = "本群属于其他社区的{grid}，请由该社区书记绑定。"
    err_bind_fixed: str = "本群已在管理页（或 config.yaml）绑定到{grid}，请在管理页的“群”一栏修改。"
    err_no_colleague: str = "您的社区里没有叫“{name}”的工作人员。例如：/积分 张燕"
    err_top_level: str = "#{ticket} 已在最高一级，无法再向上转办。"
    err_private_only: str = "请私聊网格助手使用这个命令。"
    err_extension_range: str = "延期时长需在 30 天以内，例如：/延期 1024 2天 等配件"
    err_no_extension: str = "#{ticket} 没有待您审批的延期申请。"
    err_standin_format: str = "请写明代班人和截止日期（90天以内），例如：/代班 李网格 11-30 或 /代班 李网格 3天"
    err_standin_self: str = "代班人不能是您自己，请写同事的姓名，例如：/代班 李网格 11-30"
    err_standin_community: str = "{name}不在您的社区，不能为您代班。"
    err_standin_role: str = "{name}是{role}，不能代{mine}的班（可以代班的：同社区的{allowed}）。"
    err_standin_onward: str = "您正在为{who}代班，不能再请他人代班：这些工单由您办理，或 /转办 交上一级。"
    err_standin_away: str = "{name}正在请假，不能为您代班。"
    err_unknown_category: str = "没有“{word}”这个类别。可选：{menu}"
    err_missed_quote: str = "请引用那条居民消息再发送 /补单（可加类别，例如 /补单 停车）。"
    err_missed_already: str = "这条消息已经登记为 #{ticket}。"
    err_likely_number: str = "请带上疑似诉求的编号，例如：/{verb} 58"
    err_likely_unknown: str = "没有找到疑似诉求 {item}。"
    err_likely_decided: str = "疑似诉求 {item} 已处理过（{state}）。"
    err_likely_not_yours: str = "疑似诉求 {item} 不在您负责的网格。"
    err_likely_gone: str = "疑似诉求 {item} 的原消息已不在记录中，无法登记；请联系居民重新反映。"
    err_too_long: str = "消息太长了，请精简到{limit}字以内再发。"
    err_nul_char: str = "消息里有无法显示的字符（如空字符），可能是复制时带进来的，请删掉后重新发送。"
