"""What the alert channels say (WeCom robot, webhook, e-mail): read by office staff, not in WeChat. Part of `Texts` (bot/core/texts.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class OpsTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_adapter_down: str = (
        "【{bot}告警】微信连接中断已{minutes}分钟：{detail}。群里的消息暂时收不到、发不出，请尽快重新登录或检查网关。"
    )
    alert_adapter_up: str = "【{bot}恢复】微信连接已恢复（中断约{minutes}分钟）：{detail}。"
    alert_outbox_stuck: str = "【{bot}告警】消息发不出去：{late}条消息超时未发，最近有发送失败或结果未知（累计失败{failed}条、结果未知{unknown}条）。请检查微信账号与网关。"
    alert_outbox_ok: str = "【{bot}恢复】待发消息已正常发出。"
    alert_bot_down: str = (
        "【{bot}告警】网格助手没有在运行或已卡住（{reason}）。群里的消息没有人处理，请尽快检查服务器。"
    )
    alert_bot_up: str = "【{bot}恢复】网格助手已恢复运行。"
    alert_page_link: str = "登录二维码和运行状态见指挥中心：{url}"
    alert_scan_needed: str = "【{bot}告警】微信等待扫码登录（{detail}）：请用机器人账号的手机微信扫描指挥中心“管理”页“登录”栏里的二维码并确认。"
    alert_scan_link: str = "二维码：{url}"
    alert_subject_raised: str = "【{bot}告警】需要处理"
    alert_subject_recovered: str = "【{bot}恢复】已恢复正常"
