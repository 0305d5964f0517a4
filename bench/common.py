"""Shared bits for benchmark scripts: the machine line every figure is printed with."""

from __future__ import annotations

import os
import platform
import resource
import sys


def machine() -> str:
    return (
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.machine()}, {platform.system()} {platform.release()})"
    )


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(line: str) -> None:
    print(line, flush=True)
    sys.stdout.flush()
