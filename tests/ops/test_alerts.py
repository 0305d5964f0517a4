"""Alerts that do not need WeChat, against real local servers: a WeCom-robot-shaped webhook, a generic
webhook and an SMTP server. Simulated time throughout (FakeClock for the bot, FakeTimer for back-off)."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.adapters.memory import MemoryAdapter
from bot.core.clock import FakeClock
from bot.core.messages import OutgoingMessage
from bot.core.port import AdapterHealth
from bot.core.settings import ConfigError, Settings, load_settings
from bot.runtime.alert_channels import Alert, Notifier, build_channels
from bot.runtime.alerts import AlertService, build_alerts
from bot.runtime.app import App, build_app
from storage.states import OutboxState
from tests.conftest import DATA, START, TZ
from tests.ops.conftest import FakeTimer, Hooks, Mailbox, gridbot_run

WECOM_KEY = "robot-key-from-env"
ENV = {"GRIDBOT_ALERT_WECOM_KEY": WECOM_KEY, "HOOK_TOKEN": "hook-token-from-env"}


def alert_settings(tmp_path: Path, channels: list[dict[str, Any]], **alerts: Any) -> Settings:
    return load_settings(
        DATA / "config.yaml",
        env={},
        overrides={"data_dir": str(tmp_path), "alerts": {"channels": channels, **alerts}},
    )


class Bot:
    """A live-mode app on the memory adapter whose connection the test sets."""

    def __init__(self, app: App, adapter: MemoryAdapter, clock: FakeClock, notifier: Notifier) -> None:
        self.app, self.adapter, self.clock, self.notifier = app, adapter, clock, notifier
        self.state = AdapterHealth(True, "logged in as 网格助手")
        adapter.health = lambda: self.state  # type: ignore[method-assign]

    async def tick(self, minutes: float = 1) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        await self.app.tick()

    async def settle(self) -> None:
        await self.notifier.drain()


@pytest.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[Any]:
    made: list[App] = []

    def make(channels: list[dict[str, Any]], timer: FakeTimer, **alerts: Any) -> Bot:
        settings = alert_settings(tmp_path, channels, **alerts)
        clock = FakeClock(START, TZ)
        adapter = MemoryAdapter(clock.now)
        app = build_app(settings, adapter, db_url=f"sqlite:///{tmp_path / 'bot.db'}", clock=clock)
        app.live = True
        notifier = Notifier(
            build_channels(settings.alerts, ENV), settings.alerts, sleep=timer.sleep, monotonic=timer.monotonic
        )
        app.alerts = AlertService(settings, app.services.store, notifier)
        made.append(app)
        return Bot(app, adapter, clock, notifier)

    yield make
    for app in made:
        assert app.alerts is not None
        await app.alerts.aclose()
        app.services.store.dispose()


def wecom(hooks: Hooks) -> dict[str, Any]:
    return {"type": "wecom", "url": hooks.url + "wecom"}


async def test_logged_out_past_the_grace_is_one_alert_then_one_recovery(hooks: Hooks, make_bot: Any) -> None:
    bot = make_bot([wecom(hooks)], hooks.timer, grace_seconds=300, page_url="https://grid.example.org/")
    await bot.tick()
    bot.state = AdapterHealth(False, "logged out")
    for _ in range(4):  # 4 minutes down: inside the grace
        await bot.tick()
    await bot.settle()
    assert hooks.posts == []
    for _ in range(10):  # past the grace, and for a long while after
        await bot.tick()
    await bot.settle()
    (down,) = hooks.at("/wecom")
    assert down.query == {"key": WECOM_KEY}
    assert down.body["msgtype"] == "text"
    assert set(down.body) == {"msgtype", "text"}
    assert "微信连接中断已5分钟：logged out" in down.body["text"]["content"]
    assert "https://grid.example.org/" in down.body["text"]["content"]  # where the QR code is shown
    bot.state = AdapterHealth(True, "logged in as 网格助手")
    await bot.tick()
    await bot.tick()
    await bot.settle()
    assert len(hooks.posts) == 2
    assert "微信连接已恢复（中断约14分钟）" in hooks.posts[1].body["text"]["content"]
    bot.state = AdapterHealth(False, "waiting for scan")  # a new episode is alerted again
    for _ in range(6):
        await bot.tick()
    await bot.settle()
    assert len(hooks.posts) == 3
    assert "waiting for scan" in hooks.posts[2].body["text"]["content"]


async def test_a_qr_code_waiting_for_a_scan_is_alerted_at_once_with_a_link_to_the_panel(
    hooks: Hooks, make_bot: Any, tmp_path: Path
) -> None:
    from bot.core import login_state

    bot = make_bot([wecom(hooks)], hooks.timer, grace_seconds=300, page_url="https://grid.example.org/")
    data_dir = bot.app.settings.data_dir
    login_state.write_login(data_dir, login_state.LoginState(login_state.WAITING, START.isoformat(), qrcode="qr"))
    login_state.write_qr_png(data_dir, "qr")
    bot.state = AdapterHealth(False, "waiting for scan (waiting)")
    await bot.tick()  # a QR code expires in minutes: no grace
    await bot.settle()
    (alert,) = hooks.at("/wecom")
    text = alert.body["text"]["content"]
    assert "微信等待扫码登录（waiting for scan (waiting)）" in text
    assert text.endswith("二维码：https://grid.example.org/admin#login")  # a link, never the image
    login_state.write_login(data_dir, login_state.LoginState(login_state.LOGGED_IN, START.isoformat(), account="x"))
    bot.state = AdapterHealth(True, "logged in as 网格助手")
    await bot.tick()
    await bot.settle()
    assert len(hooks.posts) == 2
    assert "微信连接已恢复" in hooks.posts[1].body["text"]["content"]


async def test_the_tick_does_not_wait_for_a_channel_that_hangs(hooks: Hooks, make_bot: Any) -> None:
    bot = make_bot([wecom(hooks)], hooks.timer, grace_seconds=0)
    hooks.hold = asyncio.Event()
    bot.state = AdapterHealth(False, "logged out")
    await bot.tick()  # returns although the robot has not answered
    await hooks.arrived.wait()
    assert bot.notifier.delivered["wecom"] == 0
    await bot.tick()  # and the next tick too
    hooks.hold.set()
    await bot.settle()
    assert bot.notifier.delivered["wecom"] == 1
    assert len(hooks.posts) == 1


async def test_a_failing_webhook_is_retried_with_back_off(hooks: Hooks, make_bot: Any) -> None:
    hook = {"type": "webhook", "url": hooks.url + "hook", "token_env": "HOOK_TOKEN"}
    bot = make_bot([hook], hooks.timer, grace_seconds=0, retry_base_seconds=2)
    hooks.script["/hook"] = [(500, {"error": "down"}), (500, {"error": "down"}), (200, {})]
    bot.state = AdapterHealth(False, "logged out")
    await bot.tick()
    await bot.settle()
    assert len(hooks.at("/hook")) == 3
    assert hooks.timer.sleeps == [2, 4]  # exponential back-off between the tries
    assert bot.notifier.delivered["webhook"] == 1
    body = hooks.posts[-1].body
    assert (body["event"], body["condition"], body["state"]) == ("gridbot.alert", "adapter", "raised")
    assert hooks.posts[-1].headers["Authorization"] == "Bearer hook-token-from-env"


async def test_a_channel_that_keeps_failing_is_given_up_after_its_attempts(hooks: Hooks, make_bot: Any) -> None:
    hook = {"type": "webhook", "url": hooks.url + "hook"}
    bot = make_bot([hook], hooks.timer, grace_seconds=0, retry_attempts=3, retry_max_seconds=3)
    hooks.script["/hook"] = [(503, {})] * 10
    bot.state = AdapterHealth(False, "logged out")
    await bot.tick()
    await bot.settle()
    assert len(hooks.posts) == 3
    assert hooks.timer.sleeps == [2, 3]  # capped at retry_max_seconds
    assert bot.notifier.given_up["webhook"] == 1


async def test_the_robot_gets_at_most_20_a_minute(hooks: Hooks, tmp_path: Path) -> None:
    settings = alert_settings(tmp_path, [wecom(hooks)])
    timer = hooks.timer
    notifier = Notifier(
        build_channels(settings.alerts, ENV), settings.alerts, sleep=timer.sleep, monotonic=timer.monotonic
    )
    for i in range(45):
        notifier.submit(Alert("outbox", True, f"alert {i}", "subject", START))
    await notifier.drain()
    await notifier.aclose()
    times = [p.at for p in hooks.posts]
    assert [p.body["text"]["content"] for p in hooks.posts] == [f"alert {i}" for i in range(45)]
    assert max(sum(1 for u in times if t <= u < t + 60) for t in times) == 20
    assert times[19] < 60 <= times[20]  # the 21st waited for the window


async def test_the_robots_own_rate_limit_answer_is_waited_out(hooks: Hooks, make_bot: Any) -> None:
    bot = make_bot([wecom(hooks)], hooks.timer, grace_seconds=0)
    hooks.script["/wecom"] = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    bot.state = AdapterHealth(False, "logged out")
    await bot.tick()
    await bot.settle()
    assert len(hooks.posts) == 2
    assert hooks.timer.sleeps == [60]
    assert bot.notifier.delivered["wecom"] == 1


async def test_a_stuck_outbox_is_mailed_once_and_its_end_too(mailbox: Mailbox, make_bot: Any, monkeypatch: Any) -> None:
    mail = {
        "type": "email",
        "host": "127.0.0.1",
        "port": mailbox.port,
        "starttls": False,
        "user": mailbox.user,
        "sender": "gridbot@example.org",
        "recipients": ["office@example.org", "it@example.org"],
    }
    monkeypatch.setitem(ENV, "GRIDBOT_SMTP_PASSWORD", mailbox.password)
    bot = make_bot([mail], FakeTimer(), outbox_late_seconds=600)
    now = bot.clock.now()
    with bot.app.services.store.begin() as uow:
        uow.outbox.enqueue(OutgoingMessage(chat_id="room_staff", text="held"), at=now)
    await bot.tick(5)  # 5 minutes late: not yet stuck
    await bot.settle()
    assert mailbox.mails == []
    for _ in range(4):
        await bot.tick(5)
    await bot.settle()
    (sent,) = mailbox.mails
    assert sent.rcpt_tos == ["office@example.org", "it@example.org"]
    message = email.message_from_bytes(sent.original_content or b"", policy=email.policy.default)
    assert str(message["Subject"]) == "【网格助手告警】需要处理"
    assert "1条消息超时未发" in message.get_content()
    assert mailbox.logins == [(mailbox.user, True)]
    with bot.app.services.store.begin() as uow:
        (item,) = uow.outbox.items()
        uow.outbox.finish(item.id, state=OutboxState.SENT, at=bot.clock.now())
    await bot.tick()
    await bot.tick()
    await bot.settle()
    assert len(mailbox.mails) == 2
    ended = email.message_from_bytes(mailbox.mails[1].original_content or b"", policy=email.policy.default)
    assert str(ended["Subject"]) == "【网格助手恢复】已恢复正常"


async def test_mail_goes_over_starttls_to_a_server_that_requires_it(
    tls_mailbox: Mailbox, make_bot: Any, monkeypatch: Any
) -> None:
    box = tls_mailbox
    mail = {"type": "email", "host": "127.0.0.1", "port": box.port, "user": box.user, "ca_file": str(box.cert)}
    mail |= {"sender": "gridbot@example.org", "recipients": ["office@example.org"]}  # starttls: the default
    monkeypatch.setitem(ENV, "GRIDBOT_SMTP_PASSWORD", box.password)
    bot = make_bot([mail], FakeTimer(), grace_seconds=0)
    bot.state = AdapterHealth(False, "logged out")
    await bot.tick()
    await bot.settle()
    assert bot.notifier.delivered["email"] == 1
    assert box.encrypted == [True]
    assert box.logins == [(box.user, True)]


async def test_a_certificate_nobody_vouches_for_is_refused(
    tls_mailbox: Mailbox, make_bot: Any, monkeypatch: Any
) -> None:
    box = tls_mailbox
    mail = {"type": "email", "host": "127.0.0.1", "port": box.port, "user": box.user}  # the system's CAs only
    mail |= {"sender": "gridbot@example.org", "recipients": ["office@example.org"]}
    monkeypatch.setitem(ENV, "GRIDBOT_SMTP_PASSWORD", box.password)
    timer = FakeTimer()
    bot = make_bot([mail], timer, grace_seconds=0)
    bot.state = AdapterHealth(False, "logged out")
    await bot.tick()
    await bot.settle()
    assert box.mails == []
    assert box.logins == []  # the password never went out
    assert timer.sleeps == []  # nor is it tried again: the certificate will not change by itself
    assert bot.notifier.given_up["email"] == 1


async def test_a_wrong_smtp_password_is_not_retried(mailbox: Mailbox, make_bot: Any, monkeypatch: Any) -> None:
    mail = {"type": "email", "host": "127.0.0.1", "port": mailbox.port, "starttls": False, "user": mailbox.user}
    mail |= {"sender": "gridbot@example.org", "recipients": ["office@example.org"]}
    monkeypatch.setitem(ENV, "GRIDBOT_SMTP_PASSWORD", "not-the-password")
    timer = FakeTimer()
    bot = make_bot([mail], timer, grace_seconds=0)
    bot.state = AdapterHealth(False, "logged out")
    await bot.tick()
    await bot.settle()
    assert mailbox.logins  # smtplib tries each AUTH mechanism the server offers, in one attempt
    assert not [ok for _user, ok in mailbox.logins if ok]
    assert timer.sleeps == []  # no retry: a wrong password stays wrong
    assert mailbox.mails == []
    assert bot.notifier.given_up["email"] == 1


def test_the_outbox_alert_is_for_failures_while_connected_not_for_the_outage_itself(tmp_path: Path) -> None:
    from bot.core.heartbeat import Health
    from bot.runtime.alerts import AlertMonitor
    from storage.ops_queries import OutboxFigures

    settings = alert_settings(tmp_path, [], grace_seconds=120, outbox_late_seconds=600, outbox_recent_minutes=30)
    monitor = AlertMonitor(settings.alerts, settings.texts, "网格助手")

    def figures(late: int = 0, failed: int = 0) -> OutboxFigures:
        return OutboxFigures(pending=late, late=late, failed=failed, unknown=0)

    def at(minutes: int, connected: bool, **kw: int) -> list[tuple[str, bool]]:
        health = Health(START.isoformat(), 1, "wechaty", connected, "" if connected else "logged out", 0, 0, 0)
        return [
            (a.condition, a.raised) for a in monitor.observe(START + timedelta(minutes=minutes), health, figures(**kw))
        ]

    assert at(0, True, failed=4) == []  # failed rows from before start-up are history
    assert at(1, False, late=2, failed=6) == []  # inside the grace; failures while down are the outage's
    assert at(3, False, late=3, failed=7) == [("adapter", True)]
    assert at(4, True, late=3, failed=7) == [("adapter", False)]  # the backlog gets time to go out
    assert at(13, True, late=1, failed=7) == []
    assert at(14, True, late=1, failed=7) == [("outbox", True)]  # up 10 min and still late
    assert at(15, True, late=0, failed=7) == [("outbox", False)]
    assert at(16, True, failed=8) == [("outbox", True)]  # a send failed while connected
    assert at(30, True, failed=8) == []  # one alert per episode
    assert at(46, True, failed=8) == [("outbox", False)]  # 30 min without a new failure


def test_secrets_stay_out_of_config_yaml(tmp_path: Path) -> None:
    mail = {"type": "email", "host": "smtp.example.org", "sender": "a@b", "recipients": ["c@d"], "password": "x"}
    with pytest.raises(ConfigError, match="GRIDBOT_SMTP_PASSWORD"):
        alert_settings(tmp_path, [mail])
    with pytest.raises(ConfigError, match="GRIDBOT_ALERT_WECOM_KEY"):
        alert_settings(tmp_path, [{"type": "wecom", "url": "https://qyapi.weixin.qq.com/x?key=abc"}])
    with pytest.raises(ConfigError, match=r"pager|tag"):
        alert_settings(tmp_path, [{"type": "pager", "url": "x"}])
    settings = alert_settings(tmp_path, [{"type": "wecom"}])
    with pytest.raises(ConfigError, match="GRIDBOT_ALERT_WECOM_KEY"):
        build_alerts(settings, None, {})  # type: ignore[arg-type]
    assert build_alerts(alert_settings(tmp_path, []), None, {}) is None  # type: ignore[arg-type]


def test_a_reload_keeps_the_alert_channels_and_log_format_until_the_restart(tmp_path: Path) -> None:
    from bot.runtime.reload import read_config

    config = yaml.safe_load((DATA / "config.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**config, "alerts": {"channels": [{"type": "wecom"}]}}, allow_unicode=True))
    current = load_settings(path, env={})
    changed = {**config, "alerts": {"channels": [{"type": "webhook", "url": "http://127.0.0.1:9/x"}]}}
    path.write_text(yaml.safe_dump({**changed, "log_format": "json"}, allow_unicode=True))
    fresh, waiting = read_config(path, current, env={})
    assert [c.type for c in fresh.alerts.channels] == ["wecom"]  # the channels built at start-up stay
    assert fresh.log_format == "text"
    assert waiting == [
        "alerts changed: takes effect at the next restart",
        "log_format changed: takes effect at the next restart",
    ]


def test_gridbot_run_without_a_channels_secret_stops_with_one_line(tmp_path: Path) -> None:
    channels = [{"type": "wecom", "name": "office-robot"}]
    done = gridbot_run(tmp_path, {"alerts": {"channels": channels}}, "GRIDBOT_ALERT_WECOM_KEY")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "gridbot: alerts: channel 'office-robot' (the robot's key) needs GRIDBOT_ALERT_WECOM_KEY set in the environment"
    )
