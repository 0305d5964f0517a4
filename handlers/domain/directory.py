"""The directory the handlers use: config.yaml merged with what the administration page changed.

`apply_overrides(settings, uow)` returns config + the database's changes (storage/repos/directory.py),
which win over the file. `refresh(services)` keeps a running bot (or page) current: each message,
tick and page request compares one version number and rebuilds the settings only when it moved.
A config reload calls `reload(services, new_file_settings)` so the page's changes stay on top.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.core.identity import IdentityMap
from bot.core.settings import Settings
from storage.repos import directory as d
from storage.retry import TRANSIENT
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from handlers.deps import Services

log = logging.getLogger(__name__)
ORDER = {kind: i for i, kind in enumerate(d.KINDS)}  # people before the grids that name them


class DirectoryError(ValueError):
    """The changes do not fit together (e.g. a grid's worker who is not listed)."""


def _removed(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("removed"))


def _place(comms: list[dict[str, Any]], kind: str, key: str, entry: dict[str, Any] | None, where: list[str]) -> None:
    """Put `entry` in the communities named by `where` (where it was, or at the end) and out of the others."""
    for comm in comms:
        items = comm[kind]
        at = next((i for i, item in enumerate(items) if item["id"] == key), None)
        if entry is None or comm["id"] not in where:
            comm[kind] = [item for item in items if item["id"] != key]
        elif at is None:
            items.append(entry)
        else:
            items[at] = entry


def _previous(comms: list[dict[str, Any]], kind: str, key: str) -> dict[str, Any]:
    return next((item for comm in comms for item in comm[kind] if item["id"] == key), {})


def _apply_person(comms: list[dict[str, Any]], pid: str, value: dict[str, Any]) -> None:
    fields = {k: v for k, v in value.items() if k != "communities"}
    person = None if _removed(value) else {**_previous(comms, "people", pid), **fields, "id": pid}
    _place(comms, "people", pid, person, list(value.get("communities", [])))


def _apply_grid(comms: list[dict[str, Any]], gid: str, value: dict[str, Any]) -> None:
    fields = {k: v for k, v in value.items() if k != "community"}
    grid = None if _removed(value) else {"groups": [], **_previous(comms, "grids", gid), **fields, "id": gid}
    _place(comms, "grids", gid, grid, [str(value.get("community", ""))])


def _apply_group(comms: list[dict[str, Any]], chat_id: str, value: dict[str, Any]) -> None:
    target = "" if _removed(value) else str(value.get("grid", ""))
    for comm in comms:
        for g in comm["grids"]:
            groups = [c for c in g.get("groups", []) if c != chat_id]
            if g["id"] == target:
                groups.append(chat_id)
            g["groups"] = groups


def merge(settings: Settings, items: Iterable[d.Override]) -> Settings:
    """`settings` with `items` applied; raises DirectoryError when the result is inconsistent."""
    ordered = sorted(items, key=lambda o: (ORDER.get(o.kind, 99), o.at, o.key))
    if not ordered:
        return settings
    comms = [c.model_dump() for c in settings.all_communities]
    data = settings.model_dump()
    for item in ordered:
        if item.kind == "person":
            _apply_person(comms, item.key, item.value)
        elif item.kind == "grid":
            _apply_grid(comms, item.key, item.value)
        elif item.kind == "group":
            _apply_group(comms, item.key, item.value)
        elif item.kind == "duty":
            data["duty_roster"] = item.value
        elif item.kind == "holidays":
            data["holidays"] = item.value
    data.update(people=[], grids=[], community=None, communities=comms)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise DirectoryError(problems) from exc


def merge_leniently(settings: Settings, items: Sequence[d.Override]) -> Settings:
    """Like `merge`, but a change that no longer fits the file (say its grid was deleted there) is skipped
    with a warning instead of stopping the bot."""
    try:
        return merge(settings, items)
    except DirectoryError:
        kept: list[d.Override] = []
        for item in items:
            try:
                merge(settings, [*kept, item])
            except DirectoryError as exc:
                log.warning(
                    "directory: the page's change to %s %s no longer fits config.yaml, skipped: %s",
                    item.kind,
                    item.key,
                    exc,
                )
            else:
                kept.append(item)
        return merge(settings, kept)


def apply_overrides(settings: Settings, uow: UnitOfWork) -> Settings:
    """config.yaml's settings with the administration page's changes on top (the page wins)."""
    return merge_leniently(settings, uow.directory.overrides())


def refresh(services: Services, *, force: bool = False) -> bool:
    """Rebuild `services.settings` (and its work calendar) when the page changed something since the last
    look. One primary-key read when nothing changed; a database that is down leaves the settings as they are."""
    from handlers.domain.worktime import WorkCalendar

    try:
        if d.version(services.store) == services.directory_version and not force:
            return False  # the common case: one read, no transaction of its own
        with services.store.begin() as uow:
            current = uow.directory.version()
            base = services.file_settings or services.settings
            merged = apply_overrides(base, uow)
            identity = IdentityMap(uow.identities.all(base.account.id))  # this account's map only
    except TRANSIENT as exc:
        log.debug("directory: not refreshed, the database is not answering: %s", exc)
        return False
    if merged.holidays != services.settings.holidays or merged.tz != services.settings.tz:
        services.calendar = WorkCalendar.from_settings(merged)
    services.file_settings = base
    services.settings = merged
    services.directory_version = current
    services.identity = identity
    return True


def reload(services: Services, file_settings: Settings) -> Settings:
    """A new config.yaml: it becomes the base, the page's changes go on top again."""
    services.file_settings = file_settings
    services.directory_version = ""  # a database that is down now: the next refresh applies them
    if not refresh(services, force=True):
        from handlers.domain.worktime import WorkCalendar

        services.settings = file_settings
        services.calendar = WorkCalendar.from_settings(file_settings)
    return services.settings
