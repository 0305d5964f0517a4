"""`gridbot health --alert`: the alert no running bot can send, that the bot itself is gone or stuck.

The bot's own alerts (bot/runtime/alerts.py) need the bot. The health timer (deploy/systemd/
gridbot-health.timer) runs this every few minutes from outside it: an unhealthy verdict is sent to the
alert channels once, and its end once; the episode is kept in `data_dir/health-alert.json` between runs.
If no channel took the alert, nothing is recorded and the next run tries again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from bot.core.settings import Settings
from bot.runtime.alert_channels import Alert, Notifier, build_channels

log = logging.getLogger(__name__)
STATE = "health-alert.json"


def _state_path(settings: Settings) -> Path:
    return settings.data_dir / STATE


async def alert_on_verdict(settings: Settings, env: Mapping[str, str], now: datetime, ok: bool, line: str) -> bool:
    """Send the start or the end of an unhealthy episode; True when an alert went out."""
    path = _state_path(settings)
    raised = path.exists()
    if ok == (not raised):
        return False  # healthy and nothing to take back, or unhealthy and already said
    t, bot = settings.texts, settings.bot.name
    text = t.alert_bot_up.format(bot=bot) if ok else t.alert_bot_down.format(bot=bot, reason=line)
    if not ok and settings.alerts.page_url:
        text += "\n" + t.alert_page_link.format(url=settings.alerts.page_url)
    subject = t.alert_subject_recovered if ok else t.alert_subject_raised
    notifier = Notifier(build_channels(settings.alerts, env), settings.alerts)
    notifier.submit(Alert("bot", not ok, text, subject.format(bot=bot), now))
    await notifier.aclose(grace=None)  # a oneshot: every channel's retries are waited for
    if not any(notifier.delivered.values()):
        log.error("health alert not delivered through any channel; the next check tries again")
        return False
    if ok:
        path.unlink()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"raised_at": now.isoformat(), "reason": line}), encoding="utf-8")
    return True
