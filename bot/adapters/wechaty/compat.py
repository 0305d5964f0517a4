"""Make the old Wechaty SDK (0.10.7, 2022) importable on Python 3.11+ with today's dependencies.

Only `bot/adapters/wechaty/adapter.py` calls this; nothing else imports `wechaty`. What it fixes, found by trying:

- `pyee` 13 no longer exports `AsyncIOEventEmitter` at its top level, which the SDK imports:
  alias it from `pyee.asyncio` (Playwright needs pyee 13, so pinning pyee 8 is not an option).
- On 3.11 `dataclasses` rejects a default value whose class is unhashable; `WechatyOptions`
  has `puppet_options: PuppetOptions = PuppetOptions()`, and `PuppetOptions` is an eq-dataclass
  (hash None). Giving the class the identity hash lets the module import; callers must always pass
  an explicit `PuppetOptions()` so that the shared default instance is never used.
- The SDK decides where it writes (`./.wechaty/` by default) from `CACHE_DIR` at import time,
  and sets up its own loggers from `WECHATY_LOG` at import time too.
- `telnetlib` (used by the SDK to probe ports) warns it is deprecated; that warning is not ours.
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from types import ModuleType


def load_wechaty(cache_dir: Path, log_level: str = "error") -> ModuleType:
    """Import and return the `wechaty` module with the fixes above applied (idempotent)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CACHE_DIR"] = str(cache_dir)
    os.environ.setdefault("WECHATY_LOG", log_level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import pyee
        import pyee.asyncio

        if not hasattr(pyee, "AsyncIOEventEmitter"):
            pyee.AsyncIOEventEmitter = pyee.asyncio.AsyncIOEventEmitter  # type: ignore[attr-defined]
        schemas = importlib.import_module("wechaty_puppet.schemas.puppet")
        options_cls = schemas.PuppetOptions
        if options_cls.__hash__ is None:
            options_cls.__hash__ = object.__hash__
        return importlib.import_module("wechaty")
