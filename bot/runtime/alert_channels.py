"""Delivering alerts: one worker per channel, so a slow SMTP server never holds up the webhook, and
none of them ever holds up the bot (the tick only queues).

A failed delivery is tried again with exponential back-off; each channel keeps its own rate limit
(a WeCom robot takes 20 messages a minute, and answers errcode 45009 past that)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.settings import ConfigError
from bot.core.settings_alerts import Alerts, Email, Webhook, WecomRobot

if TYPE_CHECKING:  # aiohttp (≈9 MB, 0.2 s) is imported when a web channel first posts, not at every start
    import aiohttp

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60.0
HTTP_TIMEOUT_SECONDS = 15
WECOM_RATE_LIMITED = 45009  # the robot's errcode for "more than 20 a minute"


@dataclass(frozen=True)
class Alert:
    condition: str  # "adapter" | "outbox"
    raised: bool  # True: the problem began; False: it is over
    text: str
    subject: str
    at: datetime


class ChannelError(Exception):
    """The channel did not take the alert. `retry_after`: the channel said when to come back;
    `final`: trying again cannot help (a wrong key, a refused recipient)."""

    def __init__(self, message: str, *, retry_after: float | None = None, final: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.final = final


class Channel(Protocol):
    name: str
    per_minute: int

    async def send(self, alert: Alert) -> None: ...

    async def close(self) -> None: ...


class RateLimit:
    """At most `per_minute` sends in any 60 s (a sliding window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.sent: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.sent and now - self.sent[0] >= WINDOW_SECONDS:
            self.sent.popleft()
        return 0.0 if len(self.sent) < self.per_minute else self.sent[0] + WINDOW_SECONDS - now

    def record(self, now: float) -> None:
        self.sent.append(now)


class _Http:
    """What the two web channels share: one client session, opened in the running loop when first used."""

    def __init__(self, secret: str = "") -> None:
        self._session: aiohttp.ClientSession | None = None
        self._secret = secret  # never in a log line: aiohttp's errors quote the URL, the robot's key with it

    async def post(self, url: str, body: dict[str, Any], headers: Mapping[str, str]) -> tuple[int, Any]:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS))
        try:
            async with self._session.post(url, json=body, headers=dict(headers)) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = None
                if resp.status == 429:
                    retry = resp.headers.get("Retry-After", "")
                    raise ChannelError("HTTP 429", retry_after=float(retry) if retry.isdigit() else WINDOW_SECONDS)
                if resp.status >= 500:
                    raise ChannelError(f"HTTP {resp.status}")
                if resp.status >= 400:
                    raise ChannelError(f"HTTP {resp.status}", final=True)
                return resp.status, data
        except (aiohttp.ClientError, TimeoutError) as exc:
            said = f"{type(exc).__name__}: {exc}"
            raise ChannelError(said.replace(self._secret, "***") if self._secret else said) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class WecomChannel(_Http):
    def __init__(self, cfg: WecomRobot, key: str) -> None:
        super().__init__(secret=key)
        self.name, self.per_minute = cfg.name, cfg.per_minute
        self.url = f"{cfg.url}?key={key}"

    async def send(self, alert: Alert) -> None:
        _status, data = await self.post(self.url, {"msgtype": "text", "text": {"content": alert.text}}, {})
        code = data.get("errcode", 0) if isinstance(data, dict) else 0
        if code == WECOM_RATE_LIMITED:
            raise ChannelError("robot rate limit (errcode 45009)", retry_after=WINDOW_SECONDS)
        if code:
            raise ChannelError(f"robot refused: errcode {code} {data.get('errmsg', '')}", final=True)


class WebhookChannel(_Http):
    def __init__(self, cfg: Webhook, token: str) -> None:
        super().__init__()
        self.name, self.per_minute, self.url = cfg.name, cfg.per_minute, cfg.url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def send(self, alert: Alert) -> None:
        body = {
            "event": "gridbot.alert",
            "condition": alert.condition,
            "state": "raised" if alert.raised else "recovered",
            "text": alert.text,
            "at": alert.at.isoformat(),
        }
        await self.post(self.url, body, self.headers)


class EmailChannel:
    """smtplib in a worker thread (no async SMTP client is installed): the loop never waits on the server."""

    def __init__(self, cfg: Email, password: str) -> None:
        self.cfg, self.password = cfg, password
        self.name, self.per_minute = cfg.name, cfg.per_minute

    def _send_blocking(self, alert: Alert) -> None:
        cfg = self.cfg
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = alert.subject, cfg.sender, ", ".join(cfg.recipients)
        msg.set_content(alert.text)
        try:
            context = ssl.create_default_context(cafile=cfg.ca_file or None)
            smtp = (
                smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=context)
                if cfg.ssl
                else smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
            )
            with smtp:
                if cfg.starttls and not cfg.ssl:
                    smtp.starttls(context=context)
                if cfg.user:
                    smtp.login(cfg.user, self.password)
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"SMTP login refused: {exc.smtp_code}", final=True) from exc
        except ssl.SSLCertVerificationError as exc:
            raise ChannelError(f"SMTP server's certificate not trusted: {exc.verify_message}", final=True) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"SMTP recipients refused: {sorted(exc.recipients)}", final=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP: {type(exc).__name__}: {exc}") from exc

    async def send(self, alert: Alert) -> None:
        await asyncio.to_thread(self._send_blocking, alert)

    async def close(self) -> None:
        return None


def build_channels(cfg: Alerts, env: Mapping[str, str]) -> list[Channel]:
    """The configured channels with their secrets from `env`; a secret that is missing is a config error."""

    def secret(var: str, what: str) -> str:
        value = env.get(var, "")
        if not value:
            raise ConfigError(f"alerts: {what} needs {var} set in the environment")
        return value

    out: list[Channel] = []
    for ch in cfg.channels:
        if isinstance(ch, WecomRobot):
            out.append(WecomChannel(ch, secret(ch.key_env, f"channel {ch.name!r} (the robot's key)")))
        elif isinstance(ch, Webhook):
            out.append(WebhookChannel(ch, secret(ch.token_env, f"channel {ch.name!r}") if ch.token_env else ""))
        else:
            password = secret(ch.password_env, f"channel {ch.name!r} (the SMTP password)") if ch.user else ""
            out.append(EmailChannel(ch, password))
    return out


class Notifier:
    """Queues alerts per channel and delivers them in the background, retrying and pacing."""

    def __init__(
        self,
        channels: list[Channel],
        cfg: Alerts,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channels, self.cfg = channels, cfg
        self.sleep, self.monotonic = sleep, monotonic
        self.limits = {ch.name: RateLimit(ch.per_minute) for ch in channels}
        self.queues: dict[str, asyncio.Queue[Alert]] = {}
        self.workers: list[asyncio.Task[None]] = []
        self.delivered: dict[str, int] = {ch.name: 0 for ch in channels}  # for tests and the log
        self.given_up: dict[str, int] = {ch.name: 0 for ch in channels}

    def submit(self, alert: Alert) -> None:
        """Never waits: the workers start in the running loop on first use."""
        if not self.workers:
            for ch in self.channels:
                self.queues[ch.name] = asyncio.Queue()
                self.workers.append(asyncio.create_task(self._work(ch), name=f"alerts:{ch.name}"))
        for queue in self.queues.values():
            queue.put_nowait(alert)

    async def _work(self, channel: Channel) -> None:
        queue = self.queues[channel.name]
        while True:
            alert = await queue.get()
            try:
                await self._deliver(channel, alert)
            finally:
                queue.task_done()

    async def _deliver(self, channel: Channel, alert: Alert) -> None:
        limit = self.limits[channel.name]
        for attempt in range(1, self.cfg.retry_attempts + 1):
            while (wait := limit.wait(self.monotonic())) > 0:
                await self.sleep(wait)
            limit.record(self.monotonic())
            try:
                await channel.send(alert)
            except ChannelError as exc:
                if exc.final or attempt == self.cfg.retry_attempts:
                    self.given_up[channel.name] += 1
                    log.error("alert %s not delivered through %s: %s", alert.condition, channel.name, exc)
                    return
                delay = exc.retry_after or min(
                    self.cfg.retry_max_seconds, self.cfg.retry_base_seconds * 2 ** (attempt - 1)
                )
                log.warning("alert through %s failed (%s); try %d in %.0f s", channel.name, exc, attempt + 1, delay)
                await self.sleep(delay)
            else:
                self.delivered[channel.name] += 1
                return

    async def drain(self) -> None:
        """Until every queued alert is delivered or given up (tests; a stopping bot, with a time limit)."""
        for queue in self.queues.values():
            await queue.join()

    async def aclose(self, grace: float | None = 10.0) -> None:
        """Give what is queued `grace` seconds (None: as long as the retries take), then stop the workers."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), grace)
        for task in self.workers:
            task.cancel()
        for task in self.workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.workers = []
        for ch in self.channels:
            await ch.close()
