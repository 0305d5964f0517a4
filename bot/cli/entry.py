"""The `gridbot` command's entry point: the collector is paused before anything is imported.

Every command resumes it: the live ones (run, shell, replay) when their app is built
(bot/runtime/app.py, bot/runtime/replay.py), every other one before it starts its work (bot/cli/main.py).
"""

from __future__ import annotations

from bot.runtime import collector


def main() -> int:
    collector.pause()
    from bot.cli.main import main as run_command

    return run_command()
