"""The YAML files that ship with gridbot (the lexicon, the matters table, the settings' defaults), read with
libyaml's parser where PyYAML was built with it: 5–10 × faster than the pure-Python one, which took about
0.3 s of every start on these files. The constructor is the safe one either way.

An operator's config.yaml is read by bot/core/settings.py with the pure-Python loader, whose errors carry
the line and column the message quotes."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)
