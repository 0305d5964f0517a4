"""The one typed settings model, loaded once from config.yaml.

Packaged defaults (categories, ladder, texts) come from `defaults.yaml` next to
this file; a community's config.yaml overrides them key by key. Unknown keys
are errors that name the key's path; secrets come from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from bot.core.settings_alerts import Alerts
from bot.core.settings_base import ConfigError, Model
from bot.core.settings_org import BotIdentity, Community, DutyEntry, Grid, Person, StandIn
from bot.core.settings_platform import WebPage, WechatySettings
from bot.core.settings_work import (
    Category,
    Dedupe,
    Digests,
    FaqEntry,
    Holidays,
    LadderLevel,
    LikelyRequests,
    Limits,
    Outbox,
    Points,
    QuietHours,
)
from bot.core.texts import Texts

DEFAULTS_PATH = Path(__file__).with_name("defaults.yaml")


class Settings(Model):
    adapter: Literal["console", "memory", "wechaty"] = "console"
    data_dir: Path = Path("./data")
    database: str = ""
    timezone: str = "Asia/Shanghai"
    bot: BotIdentity = BotIdentity()
    people: list[Person] = Field(default_factory=list)
    grids: list[Grid] = Field(default_factory=list)
    community: Community | None = None
    communities: list[Community] = Field(default_factory=list)
    group_names: dict[str, str] = Field(default_factory=dict)  # chat id → topic, until the platform says
    categories: dict[str, Category] = Field(default_factory=dict)
    ladder: list[LadderLevel] = Field(default_factory=list)
    promise_hours: float = 12.0
    rating_window_hours: float = 48.0
    quiet_hours: QuietHours = QuietHours()
    holidays: Holidays = Holidays()
    dedupe: Dedupe = Dedupe()
    likely: LikelyRequests = LikelyRequests()
    limits: Limits = Limits()
    outbox: Outbox = Outbox()
    wechaty: WechatySettings = WechatySettings()
    web: WebPage = WebPage()
    faq: list[FaqEntry] = Field(default_factory=list)
    duty_roster: list[DutyEntry] = Field(default_factory=list)
    standins: list[StandIn] = Field(default_factory=list)
    emergency_advice: str = "如有人员受伤或危险，请立即拨打119/120/110。"
    emergency_advice_en: str = (
        "If anyone is hurt or in danger, call 119 (fire), 120 (ambulance) or 110 (police) now. "
        "For a gas smell: no flames or switches, open the windows, leave and call from outside."
    )
    texts: Texts = Texts()
    sweep_interval_seconds: int = 60
    lexicon: dict[str, Any] = Field(default_factory=dict)  # overrides for nlp's packaged lexicon
    points: Points = Points()
    digests: Digests = Digests()
    alerts: Alerts = Alerts()  # channels that need no bot account (bot/core/settings_alerts.py)
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per log line, for log stacks

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        communities = self.all_communities
        known = {p.id for c in communities for p in c.people}
        for comm in communities:
            for grid in comm.grids:
                for who in [*grid.workers, grid.area_cadre, grid.property_company]:
                    if who and who not in known:
                        raise ValueError(f"grids.{grid.id}: person {who!r} is not listed under people")
            for key in ("secretary", "street_center"):
                who = getattr(comm, key)
                if who and who not in known:
                    raise ValueError(f"community.{key}: person {who!r} is not listed under people")
        group_owner: dict[str, str] = {}
        for comm in communities:
            for grid in comm.grids:
                for group in grid.groups:
                    if group in group_owner:
                        raise ValueError(f"grids.{grid.id}.groups: {group!r} is already in grid {group_owner[group]}")
                    group_owner[group] = grid.id
        for i, entry in enumerate(self.duty_roster):
            if entry.person not in known:
                raise ValueError(f"duty_roster.{i}.person: {entry.person!r} is not listed under people")
        for i, stand in enumerate(self.standins):
            for who in (stand.person, stand.by):
                if who not in known:
                    raise ValueError(f"standins.{i}: {who!r} is not listed under people")
        levels = [lv.level for lv in self.ladder]
        if levels != sorted(set(levels)):
            raise ValueError("ladder: levels must be unique and in ascending order")
        return self

    # -- derived views (computed once; settings are frozen) --------------------------------

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def all_communities(self) -> list[Community]:
        """`community:` plus top-level people/grids make one community; `communities:` a street."""
        out: list[Community] = []
        if self.community is not None or self.people or self.grids:
            base = self.community or Community(name="社区")
            out.append(
                base.model_copy(
                    update={
                        "id": base.id or "default",
                        "people": [*self.people, *base.people],
                        "grids": [*self.grids, *base.grids],
                    }
                )
            )
        for i, comm in enumerate(self.communities):
            out.append(comm if comm.id else comm.model_copy(update={"id": f"c{i + 1}"}))
        return out

    @cached_property
    def people_by_id(self) -> dict[str, Person]:
        return {p.id: p for c in self.all_communities for p in c.people}

    @cached_property
    def grids_by_id(self) -> dict[str, Grid]:
        return {g.id: g for c in self.all_communities for g in c.grids}

    @cached_property
    def grid_of_group(self) -> dict[str, Grid]:
        return {group: g for g in self.grids_by_id.values() for group in g.groups}

    @cached_property
    def community_of_grid(self) -> dict[str, Community]:
        return {g.id: c for c in self.all_communities for g in c.grids}

    def community_of_person(self, person_id: str) -> list[Community]:
        return [c for c in self.all_communities if any(p.id == person_id for p in c.people)]

    def category_name(self, key: str, lang: str = "zh") -> str:
        cat = self.categories.get(key)
        if lang == "en":
            return cat.name_en if cat and cat.name_en else key.replace("_", " ")
        return cat.name if cat else key

    def level(self, number: int) -> LadderLevel:
        for lv in self.ladder:
            if lv.level == number:
                return lv
        raise KeyError(number)

    @property
    def top_level(self) -> int:
        return self.ladder[-1].level if self.ladder else 1

    @property
    def database_url(self) -> str:
        if self.database:
            return self.database
        return f"sqlite:///{(self.data_dir / 'gridbot.db').as_posix()}"


def _merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key; anything else in the override replaces the default."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return override


def _format_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{path}: {msg}")
    return "; ".join(lines)


def load_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read config.yaml (or only the packaged defaults when `path` is None)."""
    env = os.environ if env is None else env
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8")) or {}
    user: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys")
        user = loaded
    # the ladder is replaced whole when given; categories and texts merge key by key
    data = _merge(defaults, user)
    if "ladder" in user:
        data["ladder"] = user["ladder"]
    if env.get("GRIDBOT_DATABASE_URL"):
        data["database"] = env["GRIDBOT_DATABASE_URL"]
    if overrides:
        data = _merge(data, dict(overrides))
    if path is not None and "data_dir" in data and not Path(str(data["data_dir"])).is_absolute():
        # a relative data_dir is relative to the working directory, like ./data in the README
        data["data_dir"] = Path(str(data["data_dir"]))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path or 'defaults'}: {_format_error(exc)}") from exc
