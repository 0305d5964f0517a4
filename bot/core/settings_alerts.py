"""`alerts:`: who hears that the bot is down when WeChat is what is down. Every channel needs no bot
account: a WeCom group robot (企业微信群机器人), a generic JSON webhook, e-mail over SMTP.

Secrets (the robot's key, a webhook's token, the SMTP password) are read from the environment variable
each channel names, never from config.yaml: a key written here is refused with the variable to use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from bot.core.settings_base import Model

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


def _no_secret(data: Any, key: str, env_key: str, default_env: str) -> Any:
    if isinstance(data, dict) and key in data:
        env = data.get(env_key) or default_env or "an environment variable named by " + env_key
        raise ValueError(f"{key}: secrets are not kept in config.yaml; set {env} in the environment instead")
    return data


class WecomRobot(Model):
    """A 企业微信 group robot: send-only, at most 20 messages a minute per robot."""

    type: Literal["wecom"]
    name: str = "wecom"
    url: str = WECOM_URL  # the robot's key is added as ?key=…
    key_env: str = "GRIDBOT_ALERT_WECOM_KEY"
    per_minute: int = Field(default=20, ge=1, le=20)

    @model_validator(mode="before")
    @classmethod
    def _key_from_env(cls, data: Any) -> Any:
        if isinstance(data, dict) and "key=" in str(data.get("url", "")):
            raise ValueError("url: leave the key out of the url; set GRIDBOT_ALERT_WECOM_KEY (or key_env) instead")
        return _no_secret(data, "key", "key_env", "GRIDBOT_ALERT_WECOM_KEY")


class Webhook(Model):
    """Any JSON endpoint: {"event", "condition", "state", "text", "at"} is POSTed to it."""

    type: Literal["webhook"]
    name: str = "webhook"
    url: str
    token_env: str = ""  # if set, its value is sent as `Authorization: Bearer …`
    per_minute: int = Field(default=60, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _token_from_env(cls, data: Any) -> Any:
        return _no_secret(data, "token", "token_env", "")


class Email(Model):
    """SMTP: STARTTLS by default (port 587); `ssl: true` for implicit TLS (port 465)."""

    type: Literal["email"]
    name: str = "email"
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False
    user: str = ""  # empty: no login
    password_env: str = "GRIDBOT_SMTP_PASSWORD"
    sender: str
    recipients: list[str] = Field(min_length=1)
    ca_file: str = ""  # PEM certificates to trust for the server (a private CA); empty: the system's
    timeout_seconds: float = Field(default=20.0, gt=0)
    per_minute: int = Field(default=10, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _password_from_env(cls, data: Any) -> Any:
        return _no_secret(data, "password", "password_env", "GRIDBOT_SMTP_PASSWORD")


Channel = Annotated[WecomRobot | Webhook | Email, Field(discriminator="type")]


class Alerts(Model):
    channels: list[Channel] = Field(default_factory=list)
    # the adapter logged out, waiting for a scan or unhealthy this long (after its own health grace) → alert
    grace_seconds: float = Field(default=120.0, ge=0)
    # an outgoing message still pending this long past its time (the connection up that long): the outbox is stuck
    outbox_late_seconds: float = Field(default=600.0, gt=0)
    # sends that failed (or ended unknown) while connected keep the outbox's alert open this long
    outbox_recent_minutes: float = Field(default=60.0, gt=0)
    # a channel that fails is tried again after 2, 4, 8 … s (at most retry_max_seconds), retry_attempts times in all
    retry_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    page_url: str = ""  # the command center's address: alerts link to it (the login QR code is shown there)
