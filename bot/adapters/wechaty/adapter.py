"""The Wechaty adapter: WeChat through a Wechaty puppet service (gRPC), behind the same port as the others.

The only module that imports `wechaty` (after `bot.adapters.wechaty.compat` made it importable). It connects to
`WECHATY_PUPPET_SERVICE_ENDPOINT` with `WECHATY_PUPPET_SERVICE_TOKEN`; without an endpoint it refuses
to start rather than let the SDK look the token up online.

One connection is one fresh `Wechaty` object. When the service is not up yet, or the event stream
drops, the object is thrown away and a new one connects after a back-off (one log line per attempt).
The SDK's own `Wechaty.start()` is not used: on errors it sleeps a minute, prints, or stops the event loop.
A connection that stays open while nothing answers (a frozen gateway, a silent event stream) is found by the
ding probe (liveness.py beside this file) and connected afresh too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.adapters.wechaty.compat import load_wechaty
from bot.adapters.wechaty.convert import AT_SEPARATOR, Conversion
from bot.adapters.wechaty.liveness import Liveness
from bot.adapters.wechaty.send_outcome import answer_lost
from bot.core import login_state
from bot.core.login_state import LoginState
from bot.core.messages import IncomingMessage, OutgoingMessage
from bot.core.port import AdapterHealth, OnChatEvent, OnMessage, SendError
from bot.core.settings import ConfigError, Settings

log = logging.getLogger(__name__)


@dataclass
class _Progress:
    """One send's platform calls: how many were issued and how many answered."""

    issued: int = 0
    answered: int = 0


def brief(exc: BaseException) -> str:
    """One short line for a log: gRPC errors from the service carry a whole Node stack trace."""
    text = getattr(exc, "message", None) or (exc.args[0] if exc.args else "") or ""
    first = str(text).strip().splitlines()[0][:200] if str(text).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class WechatyAdapter(Conversion):
    name = "wechaty"
    mentions_by_stored_name = False  # the room's member names, read from the puppet at each send (_send)

    def __init__(
        self,
        settings: Settings,
        env: Mapping[str, str],
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._now = now or (lambda: datetime.now(settings.tz))
        self._monotonic = monotonic
        self.endpoint = env.get("WECHATY_PUPPET_SERVICE_ENDPOINT", "").strip()
        self.token = env.get("WECHATY_PUPPET_SERVICE_TOKEN", "").strip()
        if not self.endpoint:
            raise ConfigError(
                "adapter wechaty: set WECHATY_PUPPET_SERVICE_ENDPOINT (host:port of the puppet service); "
                "the online token lookup is never used"
            )
        if not self.token:
            raise ConfigError("adapter wechaty: set WECHATY_PUPPET_SERVICE_TOKEN (the puppet service's token)")
        self.cfg = settings.wechaty
        self._sdk: Any = None
        self._bot: Any = None
        self._self_id = ""
        self._self_name = ""
        self._connected = False
        self._detail = "not connected yet"
        self._down_since = monotonic()
        self._logged_in_this_session = False
        self._stopping: asyncio.Event | None = None
        self._session_task: asyncio.Task[None] | None = None
        self._dropped = ""  # why the connection is being dropped (by `_drop_connection`)
        self._liveness = Liveness(monotonic)
        self._quiet = False  # dropped because the gateway stopped answering ding; until the next login
        self._raw: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._unread: dict[str, int] = {}  # message ids received but not read yet -> failed reads
        self._names: dict[str, str] = {p.id: p.name for p in settings.people_by_id.values()}
        self._rooms: set[str] = set(settings.group_names) | set(settings.grid_of_group)
        self._rooms |= {c.staff_chat for c in settings.all_communities if c.staff_chat}

    def reload_settings(self, settings: Settings) -> None:
        """A config reload: staff names, known rooms, send time-out and health grace take effect now."""
        self.settings = settings
        self.cfg = settings.wechaty
        self._names.update({p.id: p.name for p in settings.people_by_id.values()})
        self._rooms |= set(settings.group_names) | set(settings.grid_of_group)
        self._rooms |= {c.staff_chat for c in settings.all_communities if c.staff_chat}

    # -- the port ------------------------------------------------------------------------------

    def display_name(self, person_id: str) -> str:
        return self._names.get(person_id, person_id)

    def health(self) -> AdapterHealth:
        """Not connected counts only after a grace period: start-up and a quick reconnect are normal.
        A gateway gone quiet is not connected from the moment it was found so (its connection is dropped)."""
        if self._connected:
            return AdapterHealth(True, self._detail)
        down = self._monotonic() - self._down_since
        if self._quiet:
            silent = self._liveness.silent_for()
            detail = f"gateway not answering ding for {silent:.0f} s; connecting afresh"
            return AdapterHealth(down < self.cfg.health_grace_seconds, detail, live=False)
        if down < self.cfg.health_grace_seconds:
            return AdapterHealth(True, f"connecting ({self._detail})", live=False)
        return AdapterHealth(False, f"{self._detail}, for {down:.0f} s", live=False)

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._session_task is not None:
            self._session_task.cancel()

    async def run(self, on_message: OnMessage, on_chat_event: OnChatEvent) -> None:
        self._sdk = load_wechaty(self.settings.data_dir / "wechaty", log_level="error")
        self._stopping = asyncio.Event()
        reader = asyncio.create_task(self._read(on_message, on_chat_event), name="wechaty-reader")
        failures = 0
        try:
            while not self._stopping.is_set():
                log.info("wechaty: connecting to the puppet service at %s", self.endpoint)
                self._session_task = asyncio.create_task(self._session(), name="wechaty-session")
                try:
                    await self._session_task
                    reason = "the event stream ended"
                    self._quiet = False
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if self._stopping.is_set():
                        reason = "stopping"
                    elif self._dropped and current is not None and not current.cancelling():
                        reason = self._dropped  # a send's answer was lost, or dings went unanswered
                    else:
                        raise
                except Exception as exc:  # the SDK raises anything from grpclib, OSError to its own errors
                    reason = brief(exc)
                    self._quiet = False  # the gateway answered, with an error: that is what health says now
                finally:
                    self._session_task = None
                    self._dropped = ""
                    await self._close_bot()
                self._detail = f"disconnected from {self.endpoint}: {reason}"
                if self._stopping.is_set():
                    break
                # it was up: the back-off starts again from the bottom
                failures = 1 if self._logged_in_this_session else failures + 1
                delay = min(self.cfg.reconnect_max_seconds, self.cfg.reconnect_min_seconds * 2 ** (failures - 1))
                log.warning(
                    "wechaty: puppet service at %s unavailable (%s); reconnecting in %.1f s (attempt %d)",
                    self.endpoint,
                    reason,
                    delay,
                    failures,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        finally:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._raw.join(), timeout=5)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            log.info("wechaty: adapter stopped")

    async def send(self, message: OutgoingMessage) -> None:
        """Look the chat up, then issue the platform calls. A failure before a call was issued, or a call
        the service refused, is certain (the outbox retries); a call whose answer was lost is uncertain
        (it may have gone out): see send_outcome.py beside this file. A time-out also drops the connection,
        so that the sends behind it wait for a fresh one instead of timing out one by one."""
        bot = self._bot
        if bot is None or not self._connected:
            raise SendError(f"not connected to the puppet service ({self._detail})")
        progress = _Progress()
        try:
            await asyncio.wait_for(self._send(bot, message, progress), timeout=self.cfg.send_timeout_seconds)
        except Exception as exc:  # grpclib / SDK errors
            timed_out = isinstance(exc, TimeoutError)
            what = f"send timed out after {self.cfg.send_timeout_seconds:g} s" if timed_out else brief(exc)
            lost = progress.issued > 0 and answer_lost(exc)
            if lost or timed_out:
                self._drop_connection(what)
            if lost or progress.answered:  # its answer lost, or a part (the image) already out
                raise SendError(f"{what}; the call was issued, it may have gone out", uncertain=True) from exc
            stage = "refused by the puppet service" if progress.issued else "before the call was issued"
            raise SendError(f"{what} ({stage})") from exc

    def _drop_connection(self, reason: str) -> None:
        """A call timed out or lost its answer: the connection is not trusted any more. Sends fail as not
        connected (and are retried) until `run` has connected afresh."""
        task = self._session_task
        if task is None or task.done() or self._dropped:
            return
        log.warning("wechaty: dropping the connection to %s (%s); connecting afresh", self.endpoint, reason)
        if self._connected:
            self._down_since = self._monotonic()
        self._connected = False
        self._detail = f"connection dropped: {reason}"
        self._dropped = reason
        task.cancel()

    async def _read(self, on_message: OnMessage, on_chat_event: OnChatEvent) -> None:
        """One event at a time, in arrival order. A message that cannot be read now (the connection
        dropped between its event and its payload) stays unread and is read again after the next login."""
        while True:
            kind, data = await self._raw.get()
            try:
                if kind == "message":
                    incoming = await self._read_message(data)
                    if incoming is not None:
                        await on_message(incoming)
                elif kind == "roster":
                    roster = await self._read_roster()
                    if roster is not None:
                        await on_chat_event(roster)
                else:
                    event = await self._read_room_event(kind, data)
                    if event is not None:
                        await on_chat_event(event)
            except Exception:
                log.exception("wechaty: handling a %s event failed", kind)
            finally:
                self._raw.task_done()

    async def _read_message(self, message_id: str) -> IncomingMessage | None:
        if message_id not in self._unread:
            return None  # read already (queued again after a reconnect)
        bot = self._bot
        if bot is None or not self._connected:
            return None  # stays unread: queued again at the next login
        try:
            msg = bot.Message.load(message_id)
            await msg.ready()
            incoming = await self._convert(bot, msg)
        except Exception as exc:
            self._unread[message_id] += 1
            if self._unread[message_id] >= 3:
                del self._unread[message_id]
                log.error("wechaty: message %s could not be read three times; dropped: %s", message_id, brief(exc))
            else:
                log.warning(
                    "wechaty: message %s not readable now (%s); read again after reconnecting", message_id, brief(exc)
                )
            return None
        del self._unread[message_id]
        return incoming

    # -- connection ----------------------------------------------------------------------------

    def _new_bot(self) -> Any:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from wechaty_puppet import PuppetOptions

        sdk = self._sdk
        options = sdk.WechatyOptions(
            puppet="wechaty-puppet-service",
            # always an explicit PuppetOptions (see bot/adapters/wechaty/compat.py); the endpoint is always given,
            # so the SDK never fetches one from the online token service
            puppet_options=PuppetOptions(end_point=self.endpoint, token=self.token),
            host="127.0.0.1",
            port=self.cfg.plugin_port,
            # an in-memory scheduler: the SDK's default keeps jobs in SQLite under CACHE_DIR
            scheduler=AsyncIOScheduler(),
        )
        return sdk.Wechaty(options)

    async def _session(self) -> None:
        """One connection: returns (or raises) when it is over.

        The SDK's own event bridge is not used: it drops a message whose payload could not be fetched
        (and remembers its id, so it never comes back), starts its plugin server on login, and emits
        each event from its own task. These listeners only queue what arrived, in order."""
        self._logged_in_this_session = False
        bot = self._new_bot()
        self._bot = bot
        await bot.init_puppet()
        puppet = bot.puppet

        async def on_login(payload: Any) -> None:
            me = bot.ContactSelf.load(payload.contact_id)
            with contextlib.suppress(Exception):
                await me.ready()
            self._self_id = payload.contact_id
            self._self_name = (me.payload.name if me.payload is not None else "") or ""
            self._logged_in_this_session = True
            if self._quiet:
                log.warning(
                    "wechaty: the gateway at %s answers again, after %.0f s without answering ding",
                    self.endpoint,
                    self._liveness.silent_for(),
                )
                self._quiet = False
            self._liveness.begin()
            self._connected = True
            self._detail = f"logged in as {self._self_name or self._self_id}"
            log.info("wechaty: logged in as %s (%s)", self._self_name, self._self_id)
            account = f"{self._self_name} ({self._self_id})" if self._self_name else self._self_id
            self._record_login(LoginState(login_state.LOGGED_IN, self._now().isoformat(), account=account))
            # the rooms and contacts of this login first: ids may be new, the handlers re-map them
            self._raw.put_nowait(("roster", None))
            for message_id in list(self._unread):  # what arrived but could not be read before
                self._raw.put_nowait(("message", message_id))

        def on_logout(payload: Any) -> None:
            if self._connected:
                self._down_since = self._monotonic()
            self._connected = False
            self._detail = "logged out"
            log.warning("wechaty: logged out (%s)", getattr(payload, "contact_id", ""))
            self._record_login(LoginState(login_state.LOGGED_OUT, self._now().isoformat()))

        def on_scan(payload: Any) -> None:
            self._on_scan(getattr(payload, "qrcode", None) or "", getattr(payload, "status", None))

        def on_message(payload: Any) -> None:
            self._unread.setdefault(payload.message_id, 0)
            self._raw.put_nowait(("message", payload.message_id))

        def on_room_event(kind: str) -> Any:
            return lambda payload: self._raw.put_nowait((kind, payload))

        def on_error(payload: Any) -> None:
            if payload:
                log.warning("wechaty: puppet service error: %s", payload)

        def on_dong(payload: Any) -> None:
            self._liveness.dong(getattr(payload, "data", None))

        puppet.on("login", on_login)
        puppet.on("logout", on_logout)
        puppet.on("scan", on_scan)
        puppet.on("message", on_message)
        puppet.on("room-join", on_room_event("room-join"))
        puppet.on("room-leave", on_room_event("room-leave"))
        puppet.on("room-topic", on_room_event("room-topic"))
        puppet.on("error", on_error)
        puppet.on("dong", on_dong)
        # this connection's: a probe that outlived its connection (a cancel lost on the way) must neither ding
        # the next connection's login nor drop it
        session = {"open": True}

        def quiet(silent: float) -> None:
            if session["open"]:
                self._gone_quiet(silent)

        probe = asyncio.create_task(
            self._liveness.keep_dinging(puppet, lambda: self.cfg, lambda: session["open"] and self._connected, quiet),
            name="wechaty-ding",
        )
        try:
            # blocks while the event stream lasts; raises when the service is unreachable
            await puppet.start()
        finally:
            session["open"] = False
            probe.cancel()

    def _gone_quiet(self, silent: float) -> None:
        """Dings went unanswered `ding_misses` times in a row: not live from now, and a fresh connection (the
        quiet stream of python-wechaty#280 comes back that way; a frozen gateway's, when it thaws)."""
        reason = f"gateway not answering ding for {silent:.0f} s"
        self._drop_connection(reason)
        self._quiet = self._dropped == reason  # not when the connection was being dropped for another reason

    # -- login ---------------------------------------------------------------------------------

    def _record_login(self, state: LoginState) -> None:
        """For `gridbot health`, the command center's 登录 panel and the alerts (other processes)."""
        try:
            login_state.write_login(self.settings.data_dir, state)
        except OSError as exc:
            log.error("wechaty: cannot record the login state under %s: %s", self.settings.data_dir, exc)

    def _on_scan(self, qrcode: str, status: Any) -> None:
        """A QR code to scan (wechat4u shows a new one every few minutes) or news of the one shown."""
        status_name = getattr(status, "name", "") or str(status or "")
        if self._connected:
            return  # a late event of a login that has happened
        previous = login_state.read_login(self.settings.data_dir)
        shown = previous.qrcode if previous is not None and previous.needs_scan else ""
        qrcode = qrcode or shown  # "scanned" / "confirmed" come without the code
        since = previous.at if previous is not None and shown and shown == qrcode else self._now().isoformat()
        self._detail = f"waiting for scan ({status_name.lower() or 'waiting'})"
        self._record_login(LoginState(login_state.WAITING, since, qrcode=qrcode, scan_status=status_name))
        if not qrcode or (qrcode == shown and login_state.qr_png_path(self.settings.data_dir).exists()):
            log.info("wechaty: login QR code %s", status_name.lower() or "status unknown")
            return
        try:
            path = login_state.write_qr_png(self.settings.data_dir, qrcode)
            text = login_state.qr_text(qrcode)
        except Exception as exc:  # a QR code too long, a full disk: the login still goes on through the link
            log.error("wechaty: cannot draw the login QR code (%s); scan it from %s", brief(exc), qrcode)
            return
        log.warning("wechaty: waiting for scan: the login QR code is in %s and below (%s)", path, qrcode)
        sys.stderr.write(text)
        sys.stderr.flush()

    async def _close_bot(self) -> None:
        bot, self._bot = self._bot, None
        if self._connected:
            self._down_since = self._monotonic()
        self._connected = False
        if bot is None:
            return
        puppet = getattr(bot, "_puppet", None)
        if puppet is None:
            return
        # close our side only: the puppet's stop RPC would also stop the service's puppet (log it out)
        with contextlib.suppress(Exception):
            puppet._event_stream.remove_all_listeners()
        channel = getattr(puppet, "channel", None)
        if channel is not None:
            with contextlib.suppress(Exception):
                channel.close()
        with contextlib.suppress(Exception):
            bot._plugin_manager.scheduler.shutdown(wait=False)

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, bot: Any, message: OutgoingMessage, progress: _Progress) -> None:
        """What `room.say` / `contact.say` do, with the platform calls counted: the chat and the mentioned
        people are looked up first, so that a failure there is known to have sent nothing."""
        chat_id = message.chat_id
        room = self._is_room(chat_id)
        target = bot.Room.load(chat_id) if room else bot.Contact.load(chat_id)
        await target.ready()
        text = message.text
        if room and text and message.mention_ids:
            names = []
            for person_id in message.mention_ids:
                contact = bot.Contact.load(person_id)
                await contact.ready()
                names.append(f"@{contact.name}")
            # the text as room.say writes it: "@a<U+2005>@b text"; the mention ids make WeChat notify them
            text = AT_SEPARATOR.join(names) + " " + text
        file_box = None
        if message.image_path:
            from wechaty_puppet import FileBox

            file_box = FileBox.from_file(message.image_path)
        puppet = bot.puppet
        if file_box is not None:
            progress.issued += 1
            await puppet.message_send_file(conversation_id=chat_id, file=file_box)
            progress.answered += 1
        if text:
            progress.issued += 1
            mentions = (list(message.mention_ids) or None) if room else None
            await puppet.message_send_text(conversation_id=chat_id, message=text, mention_ids=mentions)
            progress.answered += 1
