"""Who is who in config.yaml: people and their roles, grids, communities, stand-ins, the duty roster."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from bot.core.settings_base import Model

Role = Literal[
    "grid_worker", "area_cadre", "secretary", "street_center", "supervisor", "property", "department", "verifier"
]
STAFF_ROLES: frozenset[str] = frozenset(
    {"grid_worker", "area_cadre", "secretary", "street_center", "supervisor", "property", "department", "verifier"}
)


class Person(Model):
    id: str
    name: str
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
    groups: list[str] = Field(default_factory=list)

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
