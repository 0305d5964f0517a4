"""Alerts that do not need WeChat: the bot is logged out, waiting for a scan or unhealthy past a grace
period, or its outbox is stuck (sends pending past their time, failed or of unknown outcome).

Each condition is one episode: one alert when it begins, one when it is over, nothing in between
however many ticks see it (no flood). The check runs at the live runtime's heartbeat (App.report_health):
a few counts, then the alerts are queued for the channels' workers (bot/runtime/alert_channels.py),
so the message path never waits on a webhook or an SMTP server. Episodes live in the process: a restart
during an outage says it once more.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core import login_state
from bot.core.heartbeat import FAILING_SENDS, Health
from bot.core.settings import Settings
from bot.core.settings_alerts import Alerts
from bot.core.texts import Texts
from bot.runtime.alert_channels import Alert, Notifier, build_channels
from storage.ops_queries import OutboxFigures, outbox_figures
from storage.store import Store

log = logging.getLogger(__name__)
ADAPTER, OUTBOX = "adapter", "outbox"


def _minutes(span: timedelta) -> int:
    return max(1, round(span.total_seconds() / 60))


class AlertMonitor:
    """Turns what each tick sees into episode starts and ends."""

    def __init__(self, cfg: Alerts, texts: Texts, bot_name: str) -> None:
        self.cfg, self.texts, self.bot = cfg, texts, bot_name
        self.bad_since: dict[str, datetime] = {}
        self.raised: dict[str, datetime] = {}  # conditions alerted and not yet over
        self.bad_sends: int | None = None  # failed + unknown rows at the last tick
        self.last_failure: datetime | None = None  # when sends last failed while connected
        self.up_since: datetime | None = None

    def _alert(self, condition: str, raised: bool, text: str, now: datetime, *, scan: bool = False) -> Alert:
        if raised and self.cfg.page_url and condition == ADAPTER:
            if scan:  # the 登录 panel of 管理, where admins see the code (a link, never the image)
                url = self.cfg.page_url.rstrip("/") + "/admin#login"
                text += "\n" + self.texts.alert_scan_link.format(url=url)
            else:
                text += "\n" + self.texts.alert_page_link.format(url=self.cfg.page_url)
        subject = self.texts.alert_subject_raised if raised else self.texts.alert_subject_recovered
        return Alert(condition=condition, raised=raised, text=text, subject=subject.format(bot=self.bot), at=now)

    def _step(self, condition: str, bad: bool, now: datetime, grace: timedelta) -> tuple[str, int]:
        """('raise' | 'recover' | '', whole minutes since the condition began) for this tick."""
        if not bad:
            self.bad_since.pop(condition, None)
            began = self.raised.pop(condition, None)
            return ("recover", _minutes(now - began)) if began is not None else ("", 0)
        since = self.bad_since.setdefault(condition, now)
        if condition not in self.raised and now - since >= grace:
            self.raised[condition] = since
            return "raise", _minutes(now - since)
        return "", 0

    def _outbox_stuck(self, now: datetime, health: Health, figures: OutboxFigures) -> bool:
        """Sends failed (or ended unknown) while connected within `outbox_recent_minutes`, or messages are late
        although the connection has been up for `outbox_late_seconds`. While it is down the outbox waits
        because of it (one alert for one cause), and what piled up meanwhile gets that long to go out."""
        total = figures.failed + figures.unknown
        grew = self.bad_sends is not None and total > self.bad_sends  # rows failed before start-up are history
        self.bad_sends = total
        if not health.connected:
            self.up_since = None
            return False
        self.up_since = self.up_since or now
        if grew or health.consecutive_send_failures >= FAILING_SENDS:
            self.last_failure = now
        failing = self.last_failure is not None and now - self.last_failure < timedelta(
            minutes=self.cfg.outbox_recent_minutes
        )
        settled = now - self.up_since >= timedelta(seconds=self.cfg.outbox_late_seconds)
        return failing or (settled and figures.late > 0)

    def observe(
        self, now: datetime, health: Health, figures: OutboxFigures, *, waiting_for_scan: bool = False
    ) -> list[Alert]:
        """`waiting_for_scan`: a QR code is shown (it expires in minutes): the adapter alert has no grace."""
        out: list[Alert] = []
        t = self.texts
        scan = waiting_for_scan and not health.connected
        grace = timedelta(0) if scan else timedelta(seconds=self.cfg.grace_seconds)
        step, minutes = self._step(ADAPTER, not health.connected, now, grace)
        if step:
            said = t.alert_adapter_down if step == "raise" else t.alert_adapter_up
            if scan and step == "raise":
                said = t.alert_scan_needed
            text = said.format(bot=self.bot, minutes=minutes, detail=health.detail)
            out.append(self._alert(ADAPTER, step == "raise", text, now, scan=scan))
        step, _ = self._step(OUTBOX, self._outbox_stuck(now, health, figures), now, timedelta(0))
        if step == "raise":
            text = t.alert_outbox_stuck.format(
                bot=self.bot,
                late=figures.late,
                failed=figures.failed,
                unknown=figures.unknown,
            )
            out.append(self._alert(OUTBOX, True, text, now))
        elif step == "recover":
            out.append(self._alert(OUTBOX, False, t.alert_outbox_ok.format(bot=self.bot), now))
        return out


class AlertService:
    """The monitor and the channels, as the runtime holds them."""

    def __init__(self, settings: Settings, store: Store, notifier: Notifier) -> None:
        self.cfg = settings.alerts
        self.data_dir = settings.data_dir
        self.store, self.notifier = store, notifier
        self.monitor = AlertMonitor(self.cfg, settings.texts, settings.bot.name)

    def check(self, now: datetime, health: Health) -> list[Alert]:
        """One tick: a few counts, the episodes' changes queued for delivery. Never waits on a channel."""
        with self.store.begin() as uow:
            figures = outbox_figures(
                uow,
                now,
                late_after=timedelta(seconds=self.cfg.outbox_late_seconds),
            )
        login = login_state.read_login(self.data_dir)
        alerts = self.monitor.observe(now, health, figures, waiting_for_scan=login is not None and login.needs_scan)
        for alert in alerts:
            log.warning("alert %s %s", alert.condition, "raised" if alert.raised else "recovered")
            self.notifier.submit(alert)
        return alerts

    async def aclose(self) -> None:
        await self.notifier.aclose()


def build_alerts(settings: Settings, store: Store, env: Mapping[str, str]) -> AlertService | None:
    """None without channels; ConfigError when a channel's secret is missing from `env`."""
    if not settings.alerts.channels:
        return None
    return AlertService(settings, store, Notifier(build_channels(settings.alerts, env), settings.alerts))
