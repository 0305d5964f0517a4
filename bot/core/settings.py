"""The one typed settings model, loaded once from config.yaml.

Packaged defaults (categories, ladder, texts) come from `defaults.yaml` next to
this file; a community's config.yaml overrides them key by key. Unknown keys
are errors that name the key's path; secrets come from the environment.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from bot.core import yaml_data
from bot.core.settings_alerts import Alerts
from bot.core.settings_base import ConfigError, Model
from bot.core.settings_org import BotIdentity, Community, DutyEntry, Grid, Person, StandIn
from bot.core.settings_platform import Account, WebPage, WechatySettings
from bot.core.settings_work import (
    DEFAULT_WORK_HOURS,
    HOURS_MAX,
    AccountLimits,
    Category,
    Dedupe,
    Digests,
    FaqEntry,
    Holidays,
    LadderLevel,
    LikelyRequests,
    Limits,
    Notices,
    Outbox,
    Points,
    QuietHours,
    WorkHours,
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
    promise_hours: float = Field(default=12.0, gt=0, le=HOURS_MAX)
    rating_window_hours: float = Field(default=48.0, gt=0, le=HOURS_MAX)
    # the time to a result per kind (handlers/domain/limits.py); "default" keeps the ladder's own deadlines
    ladder_preset: Literal["default", "beijing_12345"] = "default"
    # a ticket whose words name water, power, gas or heating is of the `utilities` kind (24 h to a result)
    utilities_keywords: list[str] = Field(
        default_factory=lambda: [
            "停水",
            "断水",
            "没水",
            "水压",
            "自来水",
            "水管",
            "停电",
            "断电",
            "没电",
            "跳闸",
            "电表",
            "燃气",
            "煤气",
            "天然气",
            "暖气",
            "供暖",
            "供热",
            "不热",
        ]
    )
    pause_max_days: float = Field(default=7.0, gt=0, le=366)  # /挂起 ends by itself after this long (#21)
    quiet_hours: QuietHours = QuietHours()
    holidays: Holidays = Holidays()
    # "08:30-12:00, 14:00-17:30": a lunch break that work_hours deadlines skip (worktime.py)
    work_hours: WorkHours = DEFAULT_WORK_HOURS
    dedupe: Dedupe = Dedupe()
    likely: LikelyRequests = LikelyRequests()
    notices: Notices = Notices()  # 通知 / 接龙 / 征求意见 (#20)
    limits: Limits = Limits()
    outbox: Outbox = Outbox()
    account_limits: AccountLimits = AccountLimits()  # what one WeChat account may send / join (#18)
    account: Account = Account()  # which account this process is, when two sit in the same groups (#18)
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
    sweep_interval_seconds: int = Field(default=60, ge=1, le=86_400)
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
        _unique_ids(communities)
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
        top = 1 if self.community is not None or self.people or self.grids else 0
        for i, comm in enumerate(communities):
            if comm.staff_chat and comm.staff_chat in group_owner:
                key = "community" if i < top else f"communities.{i - top}"
                raise ValueError(
                    f"{key}.staff_chat: {comm.staff_chat!r} is a residents' group of grid "
                    f"{group_owner[comm.staff_chat]} (staff alerts would be posted to residents)"
                )
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
    def known_topics(self) -> dict[str, str]:
        """Each configured group's topic (group_names, and groups configured by topic): key → topic."""
        out = dict(self.group_names)
        for grid in self.grids_by_id.values():
            out.update(grid.topics)
        return out

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


def _unique_ids(communities: list[Community]) -> None:
    """Ids are how everything refers to people and grids: an empty or repeated one is a mistake.

    A grid id is unique across the street (tickets name it); a grid name within its community (/转办 names
    it); a person id within a community (the same person may serve several, e.g. the street center)."""
    for comm in communities:
        for grid in comm.grids:
            if not grid.id.strip():
                raise ValueError(f"grids: a grid has an empty id (name {grid.name!r})")
        for person in comm.people:
            if not person.id.strip():
                raise ValueError(f"people: {person.name!r} has an empty id")
        if (name := _repeated(g.name for g in comm.grids)) is not None:
            second = [g.id for g in comm.grids if g.name == name][1]
            raise ValueError(f"grids.{second}.name: the grid name {name!r} is used twice in {comm.name}")
        if (pid := _repeated(p.id for p in comm.people)) is not None:
            raise ValueError(f"people: the person id {pid!r} is listed twice in {comm.name}")
    if (gid := _repeated(g.id for c in communities for g in c.grids)) is not None:
        raise ValueError(f"grids.{gid}: the grid id {gid!r} is used twice")


def _repeated(values: Iterable[str]) -> str | None:
    """The first value seen a second time."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


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
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        # a cross-check (the model validator) names its own key path
        lines.append(msg if not err["loc"] and err["type"] == "value_error" else f"{path}: {msg}")
    return "; ".join(lines)


def _read_file(path: Path) -> dict[str, Any]:
    """config.yaml as a mapping, or one line saying what is wrong with the file itself."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text file (config.yaml is YAML in UTF-8)") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from exc
    if "\x00" in text:
        raise ConfigError(f"{path}: not a text file (config.yaml is YAML in UTF-8)")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{at}: {problem}") from exc
    except (RecursionError, ValueError, TypeError) as exc:  # nesting too deep; a key YAML cannot hash
        raise ConfigError(f"{path}: not valid YAML: {type(exc).__name__}") from exc
    if loaded is None or loaded == {}:
        # an empty file used to start a bot with nobody in it
        raise ConfigError(f"{path}: the config file is empty (it needs people, grids and a community)")
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    bad = [k for k in loaded if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"{path}: {bad[0]!r}: keys must be names, not {type(bad[0]).__name__}")
    return loaded


def ensure_data_dir(settings: Settings) -> None:
    """Commands that write (run, shell, replay, web) check `data_dir` first: one line, not a traceback later."""
    where = settings.data_dir
    try:
        where.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as exc:
        raise ConfigError(f"data_dir: {where} is not a writable directory: {exc.strerror or exc}") from None


def load_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read config.yaml (or only the packaged defaults when `path` is None)."""
    env = os.environ if env is None else env
    defaults = yaml_data.load(DEFAULTS_PATH.read_text(encoding="utf-8")) or {}
    user: dict[str, Any] = {}
    if path is not None:
        user = _read_file(Path(path))
    # the ladder is replaced whole when given; categories and texts merge key by key
    data = _merge(defaults, user)
    if "ladder" in user:
        data["ladder"] = user["ladder"]
    if env.get("GRIDBOT_DATABASE_URL"):
        data["database"] = env["GRIDBOT_DATABASE_URL"]
    # the standby account's process may share config.yaml with the speaking one: the account from the environment
    account = {k: env[v] for k, v in (("id", "GRIDBOT_ACCOUNT"), ("standby", "GRIDBOT_STANDBY")) if env.get(v)}
    if account:
        data["account"] = _merge(data.get("account") or {}, account)
    if env.get("GRIDBOT_DATA_DIR"):  # and its own data_dir then (heartbeat, login state, pid file)
        data["data_dir"] = env["GRIDBOT_DATA_DIR"]
    if overrides:
        data = _merge(data, dict(overrides))
    if path is not None and "data_dir" in data and not Path(str(data["data_dir"])).is_absolute():
        # a relative data_dir is relative to the working directory, like ./data in the README
        data["data_dir"] = Path(str(data["data_dir"]))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path or 'defaults'}: {_format_error(exc)}") from exc
