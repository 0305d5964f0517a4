"""Config reload without a restart: SIGHUP to `gridbot run` / `gridbot shell`, or `gridbot reload`.

The file is read and validated first; a bad file is refused with one log line and the bot keeps
the settings it has. A good one replaces the settings every part reads (handlers, the outbox
dispatcher, the adapter's names, the scheduler's digests, the web page), and the changes are
logged. A few keys need a restart (the adapter, the database, data_dir, the time zone, the bot's
own id, the web page's address, the alert channels, the log format): a change to them is logged and
waits for the next start. A grid's new worker gets its open tickets (handlers/jobs/staffing.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.runtime.running import RunningBot

log = logging.getLogger("gridbot.reload")

# alerts: the channels and their secrets are built once at start-up; log_format: set as the process starts
RESTART_ONLY = ("adapter", "data_dir", "database", "timezone", "bot", "web", "alerts", "log_format")
OUTCOME = "reload.json"  # data_dir/reload.json: the last reload's outcome, for `gridbot reload` to print


@dataclass(frozen=True)
class ReloadReport:
    ok: bool
    changes: list[str] = field(default_factory=list)
    error: str = ""
    moved_tickets: int = 0


def read_config(
    path: Path | None, current: Settings, env: Mapping[str, str] | None = None
) -> tuple[Settings, list[str]]:
    """The new settings, with restart-only keys kept as they are; raises ConfigError for a bad file."""
    fresh = load_settings(path, env)
    waiting = [key for key in RESTART_ONLY if getattr(fresh, key) != getattr(current, key)]
    if waiting:
        dumped = current.model_dump(mode="json")
        kept = {key: dumped[key] for key in waiting}
        fresh = load_settings(path, env, overrides=kept)
    return fresh, [f"{key} changed: takes effect at the next restart" for key in waiting]


def _by_id(items: list[Any]) -> dict[str, dict[str, Any]]:
    return {item.id: item.model_dump(mode="json") for item in items}


def _diff_named(kind: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    out = [f"{kind} {key} added" for key in new if key not in old]
    out += [f"{kind} {key} removed" for key in old if key not in new]
    for key in new.keys() & old.keys():
        for name, value in new[key].items():
            if old[key].get(name) != value:
                out.append(f"{kind} {key}: {name} {old[key].get(name)!r} -> {value!r}")
    return sorted(out)


def describe_changes(old: Settings, new: Settings) -> list[str]:
    """One line per change: people and grids by id and field, other keys by name."""
    lines = _diff_named("person", _by_id(list(old.people_by_id.values())), _by_id(list(new.people_by_id.values())))
    lines += _diff_named("grid", _by_id(list(old.grids_by_id.values())), _by_id(list(new.grids_by_id.values())))
    old_c = {c.id: c.model_dump(mode="json", exclude={"people", "grids"}) for c in old.all_communities}
    new_c = {c.id: c.model_dump(mode="json", exclude={"people", "grids"}) for c in new.all_communities}
    lines += _diff_named("community", old_c, new_c)
    structural = {"people", "grids", "community", "communities"}
    old_d, new_d = old.model_dump(mode="json"), new.model_dump(mode="json")
    lines += [f"{key} changed" for key in old_d if key not in structural and old_d[key] != new_d.get(key)]
    return lines


async def apply_settings(app: RunningBot, new: Settings, notes: list[str] | None = None) -> ReloadReport:
    """Swap the settings every part of a running bot reads, then move tickets of replaced workers."""
    from handlers.domain import directory
    from handlers.domain.worktime import WorkCalendar
    from storage.retry import wait_for_db

    services = app.services
    old = services.settings
    # everything that can fail is built before anything is swapped
    classifier = services.classifier
    if new.lexicon != old.lexicon:
        from nlp.classifier import Classifier

        classifier = Classifier(new.lexicon or None)
    calendar = WorkCalendar.from_settings(new)
    services.classifier = classifier
    merged = directory.reload(services, new)  # the administration page's changes stay on top of the file
    services.calendar = calendar if merged is new else WorkCalendar.from_settings(merged)
    changes = [*describe_changes(old, merged), *(notes or [])]
    app.settings_changed()
    if app.scheduler is not None:
        app.reschedule()

    async def reassign() -> int:
        directory.refresh(services)  # a database that was down during the reload: the page's changes now
        return await app.reassign_workers()

    moved = await wait_for_db(reassign, "reassigning tickets after a reload")
    if moved and app.live:
        app.dispatcher.poke()
    elif moved:
        await app.dispatcher.drain()
    return ReloadReport(ok=True, changes=changes, moved_tickets=moved)


def write_outcome(data_dir: Path, report: ReloadReport) -> None:
    data = {"done_at": time.time(), "pid": os.getpid(), **report.__dict__}
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / (OUTCOME + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, data_dir / OUTCOME)
    except OSError as exc:
        log.warning("could not write %s: %s", data_dir / OUTCOME, exc)


def read_outcome(data_dir: Path, after: float) -> ReloadReport | None:
    """The outcome of a reload finished after `after` (time.time()), if there is one yet."""
    try:
        data = json.loads((data_dir / OUTCOME).read_text(encoding="utf-8"))
        if float(data.pop("done_at")) < after:
            return None
        data.pop("pid", None)
        return ReloadReport(**data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


async def reload_from_file(app: RunningBot, env: Mapping[str, str] | None = None) -> ReloadReport:
    """Read config.yaml again and apply it; a bad file changes nothing. Never raises for a bad file."""
    report = await _reload(app, env)
    write_outcome(app.settings.data_dir, report)
    return report


async def _reload(app: RunningBot, env: Mapping[str, str] | None) -> ReloadReport:
    path = app.config_path
    try:
        new, notes = read_config(path, app.services.file_settings or app.settings, os.environ if env is None else env)
    except ConfigError as exc:
        log.error("config reload refused, the bot keeps its current settings: %s", exc)
        return ReloadReport(ok=False, error=str(exc))
    try:
        report = await apply_settings(app, new, notes)
    except Exception as exc:  # never crash a running bot over a reload
        log.exception("config reload failed; the settings in use may be partly new: restart the bot")
        return ReloadReport(ok=False, error=f"{type(exc).__name__}: {exc}")
    shown = path or "packaged defaults"
    if report.changes:
        log.info("config reloaded from %s: %s", shown, "; ".join(report.changes))
    else:
        log.info("config reloaded from %s: no changes", shown)
    if report.moved_tickets:
        log.info("config reload: %d open tickets moved to new grid workers", report.moved_tickets)
    return report
