"""What every settings model shares: strict (unknown keys are errors) and frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigError(Exception):
    """config.yaml is malformed; the message names the key."""


class Model(BaseModel):
    # inf and nan are no durations or limits (`promise_hours: .inf` overflowed a timedelta at run time)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
