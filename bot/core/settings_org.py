"""Who is who in config.yaml: people and their roles, grids, communities, stand-ins, the duty roster."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from bot.core.settings_base import Model

Role = Literal[
    "grid_worker", "area_cadre", "secretary", "street_center", "supervisor", "property", "department", "verifier"
]
STAFF_ROLES: frozenset[str] = frozenset(
    {"grid_worker", "area_cadre", "secretary", "street_center", "supervisor", "property", "department", "verifier"}
)


class Person(Model):
    id: str  # the stable key tickets and config use; the platform's id may change at a re-login (README)
    name: str
    alias: str = ""  # the WeChat alias / remark (备注) the bot's account gave them: found again by it first
    role: Role
    phone: str = ""
    phone_public: bool = False  # a work number residents may be given ("我们的网格员是谁"); private otherwise
    password_hash: str = ""  # pbkdf2 hash for the web page; never a plain password
    private_quiet_hours: bool = True  # staff who want night notices can turn this off


class Grid(Model):
    id: str
    name: str
    worker: str | list[str]  # the first listed worker is the default holder
    area_cadre: str = ""
    property_company: str = ""  # property company (物业) person id for repairs
    groups: list[str] = Field(default_factory=list)  # stable keys: a room's id, or its topic (below)
    # the topic of each group configured by topic (`groups: [{topic: 美景天城3栋}]`): key → topic
    topics: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _groups_by_topic(cls, data: Any) -> Any:
        """`{topic: X}` (or `{id: Y, topic: X}`) in `groups`: the group's key is Y, else X; its topic is X,
        by which the bot finds it again when a re-login gives it a new id."""
        if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
            return data
        groups: list[Any] = []
        topics = dict(data.get("topics") or {})
        for entry in data["groups"]:
            if isinstance(entry, dict):
                unknown = set(entry) - {"id", "topic"}
                if unknown or not (entry.get("id") or entry.get("topic")):
                    raise ValueError(f"groups: an entry is {{topic: 群名}} or {{id: …, topic: 群名}}, not {entry!r}")
                key = str(entry.get("id") or entry["topic"])
                if entry.get("topic"):
                    topics[key] = str(entry["topic"])
                groups.append(key)
            else:
                groups.append(entry)
        return {**data, "groups": groups, "topics": topics}

    @property
    def workers(self) -> list[str]:
        return [self.worker] if isinstance(self.worker, str) else list(self.worker)


class Community(Model):
    id: str = ""
    name: str
    secretary: str = ""
    street_center: str = ""
    staff_chat: str = ""
    people: list[Person] = Field(default_factory=list)
    grids: list[Grid] = Field(default_factory=list)


class DutyEntry(Model):
    """Who is on duty for urgent tickets at nights, weekends and holidays (值班表)."""

    person: str
    dates: list[date] = Field(default_factory=list)  # named days (holidays)
    weekdays: list[int] = Field(default_factory=list)  # 1 = Monday … 7 = Sunday
    default: bool = False  # everyone else's nights


class StandIn(Model):
    """Someone covering for a person on leave (also set with /代班)."""

    person: str  # who is away
    by: str  # who covers
    until: date


class BotIdentity(Model):
    id: str = "gridbot"
    name: str = "网格助手"
