"""Closing the loop (ratings, reopening, 核查 / 返工), points (积分) and digests. Part of `Texts` (bot/core/texts.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LoopTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # closing the loop: ratings, reopening, verification (核查) and rework (返工)
    resolved_private: str = "#{ticket}【{category}】已办结：{result}\n满意请回复“满意”，仍有问题请回复“不满意”。"
    resolved_partial_private: str = (
        "#{ticket}【{category}】部分解决：{result}\n未解决部分：{left}，已登记为 #{followup} 继续办理。\n"
        "满意请回复“满意”，仍有问题请回复“不满意”。"
    )
    resolved_unsolved_private: str = (
        "#{ticket}【{category}】无法解决：{result}{referred}\n满意请回复“满意”，仍有问题请回复“不满意”。"
    )
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
    digest_outcomes: str = (
        "部分解决 {partial} · 无法解决 {unsolved} · 挂起 {paused} · 转12345 {referred}"  # weekly and monthly (#21)
    )
    digest_rates3_title: str = "三率（响应率 / 解决率 / 满意率 · 综合）："  # weekly and monthly (#21)
    digest_rates3_line: str = "{name}：{response} / {solved} / {satisfied} · {score}"
    digest_likely: str = "待网格员确认的疑似诉求 {count} 条"
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
