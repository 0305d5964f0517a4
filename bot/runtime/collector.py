"""The cyclic garbage collector, paused while a process starts and resumed once it is built.

Start-up allocates some 100,000 long-lived objects (SQLAlchemy, pydantic settings, the classifier's
n-gram table) and creates no cyclic garbage (gc.collect() at "ready" found none, measured). With the
collector on, the growing heap was traversed again and again while it was built: 329 collections, three
of them full, 0.65–0.95 s of a 2.5–3 s start at load ≈5 (measured with gc.callbacks). So the entry
point (bot/cli/entry.py) pauses it before the first import, and the app resumes it when it is ready to
work; what start-up built is frozen out of the later passes (gc.freeze), which also keeps every full
collection while the bot runs from walking it again.

A process that did not pause (a test calling main(), a library user) is left as it is.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Start-up is over: freeze what it built and collect again from here on. Idempotent."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
