"""The floor for bench/roundtrip.py: the smallest Wechaty bot, answering every message with an echo.

It uses the SDK the plain way (its own event bridge and `Wechaty.start()`), with the same packaging
fixes gridbot needs (bot/adapters/wechaty/compat.py). Endpoint and token come from the environment.

    python -m bench.echo_bot DATA_DIR
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from bot.adapters.wechaty.compat import load_wechaty


async def main(data_dir: Path) -> None:
    sdk = load_wechaty(data_dir / "wechaty")
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    puppet_options = importlib.import_module("wechaty_puppet").PuppetOptions(
        end_point=os.environ["WECHATY_PUPPET_SERVICE_ENDPOINT"], token=os.environ["WECHATY_PUPPET_SERVICE_TOKEN"]
    )
    bot = sdk.Wechaty(
        sdk.WechatyOptions(puppet_options=puppet_options, host="127.0.0.1", port=0, scheduler=AsyncIOScheduler())
    )

    async def on_login(contact: Any) -> None:
        sys.stderr.write(f"echo bot logged in as {contact.name}\n")
        sys.stderr.flush()

    async def on_message(msg: Any) -> None:
        if msg.is_self():
            return
        room = msg.room()
        talker = msg.talker()
        if room is not None:
            await room.say(f"echo {msg.text()}", mention_ids=[talker.contact_id])
        else:
            await talker.say(f"echo {msg.text()}")

    bot.on("login", on_login)
    bot.on("message", on_message)
    await bot.start()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
