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
    err_nul_char: str = "消息里有无法显示的字符（如空字符），可能是复制时带进来的，请删掉后重新发送。"
