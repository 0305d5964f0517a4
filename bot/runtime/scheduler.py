"""The live bot's timetable (apscheduler): the deadline sweep every interval, plus any cron jobs.

Jobs are plain async functions of the running bot (bot/runtime/running.py); tests and replay call them directly
with a fake clock instead of waiting for the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from bot.runtime.running import RunningBot

log = logging.getLogger(__name__)
Job = Callable[["RunningBot"], Awaitable[None]]


@contextmanager
def running(app: RunningBot) -> Iterator[None]:
    """A scheduled job in flight: on stop, App.run lets it finish its turn instead of cutting it off."""
    task = asyncio.current_task()
    if task is not None:
        app.running_jobs.add(task)
    try:
        yield
    finally:
        if task is not None:
            app.running_jobs.discard(task)


async def sweep_job(app: RunningBot) -> None:
    with running(app):
        try:
            await app.tick()
        except Exception:
            log.exception("deadline sweep failed; will try again at the next interval")


def digest_jobs(settings: Settings) -> list[tuple[str, object, Job]]:
    """The supervisors' digests as cron jobs, from `digests:` in config."""
    from apscheduler.triggers.cron import CronTrigger

    from handlers.jobs.digest import PERIODS, Period, scheduled

    def make(period: Period) -> Job:
        async def digest_job(app: RunningBot) -> None:
            with running(app):
                try:
                    with app.services.turn() as deps:
                        scheduled(deps, period)
                except Exception:
                    log.exception("%s digest failed; the next one is made at its next scheduled time", period)
                    return
                if app.live:
                    app.dispatcher.poke()
                else:
                    await app.dispatcher.drain()

        return digest_job

    jobs: list[tuple[str, object, Job]] = []
    for period in PERIODS:
        line = getattr(settings.digests, period).strip()
        if line:
            jobs.append((f"digest-{period}", CronTrigger.from_crontab(line, timezone=settings.tz), make(period)))
    return jobs


def build_scheduler(app: RunningBot, extra: list[tuple[str, object, Job]] | None = None) -> AsyncIOScheduler:
    """`extra`: (job id, apscheduler trigger, job) for cron jobs such as digests."""
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    scheduler.add_job(
        sweep_job,
        IntervalTrigger(seconds=app.settings.sweep_interval_seconds, timezone=app.settings.tz),
        args=[app],
        id="sweep",
        # one sweep at a time; a late tick is simply run once (the sweep catches up from the rows)
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    for job_id, trigger, job in extra or []:
        scheduler.add_job(job, trigger, args=[app], id=job_id, max_instances=1, coalesce=True)
    return scheduler
