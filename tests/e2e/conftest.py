"""Fixtures for the end-to-end tier: a real puppet server, then `gridbot run` against it.

Locally these tests skip, with the reason, when node or the gateway (npm ci in gateway/) is missing; with CI=true
they fail instead, so CI never passes without having run them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci
from tests.e2e.peers import RESIDENTS, BotProcess, PuppetServer, gateway_missing, mock_scenario, write_config


@dataclass
class World:
    server: PuppetServer
    bot: BotProcess
    config: dict[str, Any]
    workdir: Path

    def name_of(self, person_id: str) -> str:
        people = {p["id"]: p["name"] for p in self.config["people"]}
        return {**people, **RESIDENTS}.get(person_id, person_id)


def require_gateway() -> None:
    """Skip (locally) or fail (CI=true) when the gateway cannot run here."""
    missing = gateway_missing()
    if missing:
        if in_ci():
            pytest.fail(f"CI=true and the Wechaty end-to-end tests cannot run: {missing}")
        pytest.skip(missing)


@pytest.fixture
def puppet_server(tmp_path: Path) -> Iterator[PuppetServer]:
    require_gateway()
    _, config = write_config(tmp_path)
    server = PuppetServer(tmp_path, mock_scenario(config, RESIDENTS))
    server.start()  # ready before the bot starts
    yield server
    server.stop()


@pytest.fixture
def world(puppet_server: PuppetServer, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """The bot on the scenario config; `parametrize("world", [{key: value}], indirect=True)` overrides keys."""
    config_path, config = write_config(tmp_path, getattr(request, "param", None))
    bot = BotProcess(tmp_path, config_path, puppet_server.endpoint, f"sqlite:///{tmp_path / 'gridbot.db'}")
    bot.start()
    yield World(puppet_server, bot, config, tmp_path)
    bot.stop()
