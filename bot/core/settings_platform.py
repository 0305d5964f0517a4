"""The platform and the page: the Wechaty adapter's knobs and the web page's address."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator, model_validator

from bot.core.settings_base import Model


class WechatySettings(Model):
    """The Wechaty adapter. Endpoint and token come from the environment, never from here."""

    plugin_port: int = Field(default=0, ge=0, le=65535)  # the SDK's plugin web server; 0 = any free port
    reconnect_min_seconds: float = Field(default=1.0, gt=0)
    reconnect_max_seconds: float = Field(default=60.0, gt=0)
    send_timeout_seconds: float = Field(default=15.0, gt=0)
    health_grace_seconds: float = Field(default=90.0, ge=0)  # not connected for longer: a health problem
    # the liveness probe (bot/adapters/wechaty/liveness.py): a gateway can freeze, or its event stream go quiet,
    # without any error. Every `ding_seconds` the puppet is sent a ding; its dong must come back through the
    # event stream within `ding_timeout_seconds`; `ding_misses` unanswered in a row: not live, connect afresh.
    # 0 turns the probe off (a puppet that never answers ding).
    ding_seconds: float = Field(default=30.0, ge=0, le=3600)
    ding_timeout_seconds: float = Field(default=10.0, gt=0)
    ding_misses: int = Field(default=2, ge=1, le=100)

    @model_validator(mode="after")
    def _ding_answered_before_the_next(self) -> WechatySettings:
        # one ding is answered or missed before the next one goes out: a miss is then a whole interval of silence
        if self.ding_seconds and self.ding_timeout_seconds > self.ding_seconds:
            raise ValueError(
                f"ding_timeout_seconds ({self.ding_timeout_seconds:g}) must not be longer than "
                f"ding_seconds ({self.ding_seconds:g})"
            )
        return self


# the account id of a process that configures none: a single-account office (and rows stored before accounts
# had ids of their own, e.g. the id map of migration 0017) belong to it
SINGLE_ACCOUNT = "main"


class Account(Model):
    """Which WeChat account this process is (#18): two accounts may sit in the same groups, one speaks.

    A single-account office sets nothing. A standby account's process gets `account: {id: b, standby: true}`
    (and the speaking one, for clarity, an id of its own); both run on one PostgreSQL database. The speaking
    account holds a lease in the database and renews it while it is logged in; when it is not renewed for
    `takeover_seconds` (logged out, banned, its gateway gone), the other account takes over."""

    id: str = Field(default=SINGLE_ACCOUNT, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    # waits for the other account first: it never takes the lease at start-up from a speaking account
    standby: bool = False
    # the lease not renewed for this long: the account holding it is gone (the holder renews every third of it)
    takeover_seconds: float = Field(default=30.0, ge=3, le=600)
    # the WeChat names of the other bot accounts in the same groups: what they post is never a resident's
    peer_names: list[str] = Field(default_factory=list)

    @property
    def paired(self) -> bool:
        """Another bot account may store the same group messages: only then is each one checked for a copy
        (a single account's messages are never another account's, and the check is a query a message)."""
        return self.standby or bool(self.peer_names)


class WebPage(Model):
    """`gridbot run` also serves the command-center page (web/) in the same process when enabled."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    metrics_token: str = ""  # `Authorization: Bearer …` for /metrics; GRIDBOT_METRICS_TOKEN wins
    # the reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs); empty: never believed,
    # every request is the TCP peer's (web/guard.py)
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return [entry.strip() for entry in value]
