"""The one wiring point: settings in, adapter in, everything built here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.clock import Clock, SystemClock
from bot.core.heartbeat import Health, write_health
from bot.core.messages import ChatEvent, IncomingMessage
from bot.core.port import Adapter
from bot.core.settings import Settings
from bot.runtime import collector, pidfile
from bot.runtime.alerts import AlertService
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.scheduler import Job, build_scheduler, digest_jobs, sweep_job
from bot.runtime.speaking import Speaking
from handlers.deps import Services
from handlers.domain import account_limits, directory
from handlers.domain.outbound import to_staff
from handlers.domain.worktime import WorkCalendar
from handlers.group_commit import handle_batch
from handlers.jobs import chat_events as groups
from handlers.jobs import rebind, staffing, sweep
from handlers.router import OwnTime, handle_incoming, repair_unprocessed
from storage.retry import wait_for_db
from storage.states import OutboxState
from storage.store import Store

log = logging.getLogger(__name__)
# on stop, a sweep or digest under way gets this long to finish (a sweep of 1,000 due tickets takes ≈1.5 s)
JOB_GRACE_SECONDS = 30.0


def build_services(settings: Settings, *, db_url: str | None = None, clock: Clock | None = None) -> Services:
    from nlp.classifier import Classifier

    services = Services(
        settings=settings,
        store=Store(db_url or settings.database_url),
        classifier=Classifier(settings.lexicon or None),
        clock=clock or SystemClock(settings.tz),
        calendar=WorkCalendar.from_settings(settings),
    )
    directory.refresh(services)  # what the web page changed wins over config.yaml
    return services


@dataclass
class App:
    services: Services
    adapter: Adapter
    dispatcher: Dispatcher
    # live mode drains in the background; tests and replay drain after every message
    live: bool = False
    # cron jobs besides the sweep (digests): (job id, apscheduler trigger, async job(app))
    scheduled_jobs: list[tuple[str, object, Job]] = field(default_factory=list)
    # the file a reload (SIGHUP, `gridbot reload`) reads again; None: the packaged defaults
    config_path: Path | None = None
    scheduler: Any = None  # the live apscheduler, while run() runs
    # measurement hook (bench/): called after each message with perf_counter stamps of its arrival,
    # of its reply being queued (the turn committed) and of the outbox drained (replay mode)
    on_received: Callable[[IncomingMessage, float, float, float], None] | None = None
    alerts: AlertService | None = None  # channels that need no WeChat (bot/runtime/alerts.py), checked at the heartbeat
    speaking: Speaking | None = None  # which bot account sends (bot/runtime/speaking.py); live mode holds or watches it
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    running_jobs: set[asyncio.Task[Any]] = field(
        default_factory=set
    )  # scheduled jobs in flight (bot/runtime/scheduler.py)
    _reloading: asyncio.Lock | None = None
    _staff_check: bool = False  # the directory changed: a grid's worker may have too

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def refresh(self) -> None:
        """The page's changes to the directory (handlers/domain/directory.py); a grid's new worker gets its tickets."""
        if directory.refresh(self.services):
            self._staff_check = True
            self.settings_changed()
        if self._staff_check:
            await wait_for_db(self.reassign_workers, "moving tickets to new grid workers")
            self._staff_check = False

    def settings_changed(self) -> None:
        """New settings (a reload, the page's changes): the outbox and the adapter's names follow."""
        self.dispatcher.reconfigure(self.settings)
        self.adapter.reload_settings(self.settings)

    async def reassign_workers(self) -> int:
        """Open tickets of workers who left their grid go to its worker now (handlers/jobs/staffing.py)."""
        with self.services.turn() as deps:
            return sum(len(m.ticket_ids) for m in staffing.reassign_changed_workers(deps))

    async def receive(self, msg: IncomingMessage) -> None:
        arrived = time.perf_counter()
        await self.refresh()
        await handle_incoming(self.services.identity.inbound(msg), self.services)
        queued = time.perf_counter()
        if self.live:
            self.dispatcher.poke()
        else:
            await wait_for_db(lambda: self.dispatcher.drain(after_turn=True), "outbox")
        if self.on_received is not None:
            self.on_received(msg, arrived, queued, time.perf_counter())

    async def receive_batch(self, msgs: Sequence[IncomingMessage], at: Callable[[int], None]) -> None:
        """Replay: consecutive messages stored and handled in one commit (handlers/group_commit.py), then
        drained. `at(i)` sets the clock to message i's time: its turn runs at it, and what it queued goes
        out at it, as if each message had been drained after its own commit."""
        arrived = time.perf_counter()
        first = 0
        while first < len(msgs):
            # translated with the map as it is now: a batch ends after a turn that moved it (a /绑定, an id
            # learnt from a copy), and the rest is read with the new one, as one commit a message would
            await self.refresh()
            rest = [self.services.identity.inbound(m) for m in msgs[first:]]
            batch = await handle_batch(rest, self.services, functools.partial(_shifted, at, first))
            await self._drain_each(msgs, range(first, first + batch.done), at, arrived)
            first += batch.done
            if batch.alone:  # PostgreSQL: it would have waited for a lock inside the batch; alone now
                at(first)
                await handle_incoming(rest[batch.done], self.services)
                await self._drain_each(msgs, range(first, first + 1), at, arrived)
                first += 1

    async def _drain_each(
        self, msgs: Sequence[IncomingMessage], which: range, at: Callable[[int], None], arrived: float
    ) -> None:
        queued = time.perf_counter()
        for i in which:
            at(i)
            await wait_for_db(lambda: self.dispatcher.drain(after_turn=True), "outbox")
            if self.on_received is not None:
                self.on_received(msgs[i], arrived, queued, time.perf_counter())

    async def chat_event(self, event: ChatEvent) -> None:
        await self.refresh()
        if event.kind == "roster":  # a login: find known groups and people again under new ids
            await wait_for_db(lambda: rebind.on_roster(event, self.services), "roster")
        else:
            await groups.on_chat_event(self.services.identity.chat_event(event), self.services)
        if self.live:
            self.dispatcher.poke()
        else:
            await self.dispatcher.drain()

    async def tick(self) -> None:
        """One scheduler tick: deadlines, reminders, held posts."""
        await self.refresh()
        await wait_for_db(lambda: sweep.run_sweep(self.services), "sweep")
        await wait_for_db(self.check_limits, "account limits")
        if self.live:
            self.report_health()
            self.dispatcher.poke()
        else:
            await wait_for_db(self.dispatcher.drain, "outbox")

    async def check_limits(self) -> account_limits.Usage:
        """Today's sends and the groups joined against `account_limits`: the staff chat is told near and at them."""
        with self.services.turn() as deps:
            return account_limits.warn(deps)

    def report_stopped(self) -> None:
        """The last heartbeat of a clean stop: `gridbot health` and /healthz say so at once, not 3 minutes later."""
        write_health(
            self.settings.data_dir,
            Health(
                at=self.services.clock.now().isoformat(),
                pid=os.getpid(),
                adapter=self.adapter.name,
                connected=False,
                detail="stopped",
                outbox_pending=0,
                outbox_failed=0,
                consecutive_send_failures=0,
                stopped=True,
            ),
        )

    def report_health(self) -> None:
        """Heartbeat for `gridbot health`; a failing adapter is also said in the staff chat, once an hour."""
        state = self.adapter.health()
        connected, detail = state.connected, state.detail
        with self.services.store.begin() as uow:
            pending = len(uow.outbox.items([OutboxState.PENDING]))
            failed = len(uow.outbox.items([OutboxState.FAILED]))
            now = self.services.clock.now()
            used = account_limits.usage(uow, now, self.settings)
        limits = self.settings.account_limits
        health = Health(
            at=now.isoformat(),
            pid=os.getpid(),
            adapter=self.adapter.name,
            connected=connected,
            detail=detail,
            outbox_pending=pending,
            outbox_failed=failed,
            consecutive_send_failures=self.dispatcher.consecutive_failures,
            sent_today=used.sent_today,
            messages_per_day=limits.messages_per_day,
            groups=used.groups,
            groups_limit=limits.groups,
            account=self.settings.account.id,
            speaking=self.dispatcher.speaking,
        )
        write_health(self.settings.data_dir, health)
        if self.alerts is not None:
            self.alerts.check(now, health)
        if health.problems:
            log.warning("health: %s", "; ".join(health.problems))
            hour = now.strftime("%Y%m%d%H")
            with self.services.turn() as deps:
                for community in self.settings.all_communities:
                    if community.staff_chat and deps.uow.state.claim_notice(f"health:{hour}:{community.id}", now):
                        to_staff(
                            deps,
                            community.staff_chat,
                            deps.texts.health_problem.format(problem="；".join(health.problems)),
                        )

    async def start(self, at_own_time: OwnTime | None = None) -> None:
        """Repair what a crash left: stranded sends, then messages stored but never handled.

        A grid whose worker changed while the bot was down hands its open tickets over now.
        `at_own_time`: replay's simulated clock, set to each repaired message's received time (a message
        from the replay's future is left to the log)."""
        rebind.load_identities(self.services)  # the ids the last login re-mapped, before anything is sent
        stranded = self.dispatcher.recover_stranded()
        repaired = await repair_unprocessed(self.services, at_own_time)
        if stranded or repaired:
            log.info(
                "start-up repair: %d unprocessed messages handled, %d uncertain sends reported", repaired, stranded
            )
        await self.reassign_workers()
        await self.dispatcher.drain() if not self.live else self.dispatcher.poke()

    def reschedule(self) -> None:
        """After a reload: the sweep interval and the digests' crontab lines as the settings now say."""
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = self.scheduler
        for job_id, _trigger, _job in self.scheduled_jobs:
            if scheduler.get_job(job_id) is not None:
                scheduler.remove_job(job_id)
        self.scheduled_jobs = digest_jobs(self.settings)
        for job_id, trigger, job in self.scheduled_jobs:
            scheduler.add_job(job, trigger, args=[self], id=job_id, max_instances=1, coalesce=True)
        interval = IntervalTrigger(seconds=self.settings.sweep_interval_seconds, timezone=self.settings.tz)
        scheduler.reschedule_job("sweep", trigger=interval)

    def request_reload(self) -> None:
        """SIGHUP: reload config.yaml in the loop, one reload at a time."""
        from bot.runtime.reload import reload_from_file

        async def reload() -> None:
            self._reloading = self._reloading or asyncio.Lock()
            async with self._reloading:
                await reload_from_file(self)

        self._tasks.append(asyncio.create_task(reload(), name="reload"))

    async def run(self) -> None:
        """Live: adapter input, outbox drain and the sweep run side by side until input ends."""
        collector.resume()  # built: what start-up made is frozen, collection goes on from here
        self.live = True
        speaking = self.speaking or Speaking(self.services, self.adapter, self.dispatcher, self.services.clock)
        self.speaking = speaking
        self.dispatcher.speaking = False  # until the lease says so: another account may be speaking
        await wait_for_db(speaking.tick, "speaking lease")
        await self.start()
        self._tasks = [
            asyncio.create_task(self.dispatcher.run_forever(), name="outbox"),
            asyncio.create_task(speaking.run_forever(), name="speaking"),
        ]
        self.scheduler = scheduler = build_scheduler(self, self.scheduled_jobs)
        scheduler.start()
        handled = self._install_signals()
        pidfile.write(self.settings.data_dir, self.services.store.url)
        await sweep_job(self)  # catch up at once on what came due while the bot was down
        try:
            await self.adapter.run(self.receive, self.chat_event)
            await self.dispatcher.drain()  # what the last lines asked for goes out before exit
        finally:
            loop = asyncio.get_running_loop()
            for sig in handled:
                loop.remove_signal_handler(sig)
            pidfile.remove(self.settings.data_dir)
            # no new jobs; one under way finishes first (apscheduler's shutdown cancels running jobs)
            scheduler.pause()
            await self._finish_jobs()
            scheduler.shutdown(wait=False)
            self.scheduler = None
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            speaking.release()  # after the last drain: another account takes over at its next look
            if self.alerts is not None:
                await self.alerts.aclose()  # what is queued gets a few seconds to go out
            # last, after the jobs that write heartbeats have finished
            with contextlib.suppress(OSError):  # an unwritable data_dir must not hide why the bot stopped
                self.report_stopped()

    def _install_signals(self) -> list[signal.Signals]:
        """The runtime owns every signal: SIGTERM / SIGINT stop the adapter (what is queued still goes
        out and the exit status is 0), SIGHUP reloads config.yaml. Returns the ones installed."""
        loop = asyncio.get_running_loop()
        actions: dict[signal.Signals, Callable[[], object]] = {
            signal.SIGTERM: lambda: asyncio.ensure_future(self.adapter.stop()),
            signal.SIGINT: lambda: asyncio.ensure_future(self.adapter.stop()),
            signal.SIGHUP: self.request_reload,
        }
        handled = []
        for sig, action in actions.items():
            try:
                loop.add_signal_handler(sig, action)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such signal
                continue
            handled.append(sig)
        if signal.SIGHUP not in handled:
            log.warning("config reload by SIGHUP is not available here; restart to apply config changes")
        return handled

    async def _finish_jobs(self) -> None:
        """Let a sweep or digest that is under way finish its turn: cut off, it would roll back and log an error."""
        jobs = set(self.running_jobs)
        if not jobs:
            return
        _done, late = await asyncio.wait(jobs, timeout=JOB_GRACE_SECONDS)
        if late:
            log.warning(
                "stopping: %d scheduled job(s) still running after %.0f s; cut off", len(late), JOB_GRACE_SECONDS
            )
            for task in late:
                task.cancel()


def _shifted(at: Callable[[int], None], base: int, i: int) -> None:
    at(base + i)


def build_app(
    settings: Settings,
    adapter: Adapter,
    *,
    db_url: str | None = None,
    clock: Clock | None = None,
    paced: bool = False,
    services: Services | None = None,
) -> App:
    services = services or build_services(settings, db_url=db_url, clock=clock)
    dispatcher = Dispatcher(
        services.store,
        adapter,
        services.clock,
        settings,
        paced=paced,
        to_platform=lambda out: services.identity.outbound(out),
    )
    return App(services=services, adapter=adapter, dispatcher=dispatcher, scheduled_jobs=digest_jobs(settings))


def make_adapter(settings: Settings, clock: Clock, env: Mapping[str, str]) -> Adapter:
    if settings.adapter == "wechaty":
        from bot.adapters.wechaty.adapter import WechatyAdapter

        return WechatyAdapter(settings, env, clock.now)  # type: ignore[return-value,unused-ignore]
    if settings.adapter == "memory":
        from bot.adapters.memory import MemoryAdapter

        return MemoryAdapter(clock.now)
    from bot.adapters.console import ConsoleAdapter

    return ConsoleAdapter(settings, clock.now)


def now_of(app: App) -> datetime:
    return app.services.clock.now()
