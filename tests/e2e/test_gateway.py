"""The gateway an office starts refuses, with one line saying what to change, what would expose the
account: a token the plaintext client cannot use, an address off loopback and private networks, a puppet
that is not installed (exit status 2, nothing served)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.e2e.conftest import require_gateway
from tests.e2e.peers import GATEWAY, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


def gateway(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WECHATY_", "GATEWAY_"))}
    return subprocess.run(
        ["node", "gateway.js"],
        cwd=GATEWAY,
        env={**base, "WECHATY_LOG": "silent", "GATEWAY_MEMORY": "", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({}, "gateway: set WECHATY_TOKEN (insecure_ followed by a secret of your choice)"),
        ({"WECHATY_TOKEN": "secret"}, "gateway: WECHATY_TOKEN must be insecure_ followed by a secret"),
        ({"WECHATY_TOKEN": "insecure_"}, "gateway: WECHATY_TOKEN must be insecure_ followed by a secret"),
        (
            {"WECHATY_TOKEN": "insecure_x", "GATEWAY_LISTEN": "0.0.0.0:8788"},
            "gateway: GATEWAY_LISTEN 0.0.0.0:8788: plaintext gRPC must stay on loopback or a private network",
        ),
        (
            {"WECHATY_TOKEN": "insecure_x", "GATEWAY_LISTEN": "8.8.8.8:8788"},
            "gateway: GATEWAY_LISTEN 8.8.8.8:8788: plaintext gRPC must stay on loopback or a private network",
        ),
        (
            {"WECHATY_TOKEN": "insecure_x", "GATEWAY_LISTEN": "127.0.0.1"},
            'gateway: GATEWAY_LISTEN must be host:port, e.g. 127.0.0.1:8788 (got "127.0.0.1")',
        ),
    ],
)
def test_what_would_expose_the_account_is_refused_with_one_line(env: dict[str, str], said: str) -> None:
    require_gateway()
    done = gateway(**env)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(said), done.stderr
    assert done.stdout == ""  # nothing served


def test_a_puppet_that_is_not_installed_is_named() -> None:
    require_gateway()
    done = gateway(
        WECHATY_TOKEN="insecure_x",
        WECHATY_PUPPET="wechaty-puppet-padlocal",  # installed by the office, never in the lock
        GATEWAY_LISTEN=f"127.0.0.1:{free_port()}",
    )
    assert done.returncode == 2
    assert 'gateway: cannot load the puppet "wechaty-puppet-padlocal"' in done.stderr
    assert "see gateway/README.md" in done.stderr


def test_every_interface_only_in_a_container_that_says_so() -> None:
    require_gateway()
    script = (
        "import { readConfig } from './gateway.js';"
        "const base = { WECHATY_TOKEN: 'insecure_x', GATEWAY_LISTEN: '0.0.0.0:8788' };"
        "try { readConfig(base); console.log('accepted'); } catch (e) { console.log('refused'); }"
        "console.log(readConfig({ ...base, GATEWAY_CONTAINER: '1' }).endpoint);"
        "try { readConfig({ ...base, GATEWAY_LISTEN: '8.8.8.8:1', GATEWAY_CONTAINER: '1' }); console.log('accepted') }"
        " catch (e) { console.log('refused'); }"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], cwd=GATEWAY, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    # refused without the flag; with it 0.0.0.0 is served, a public address still is not
    assert done.stdout.split() == ["refused", "0.0.0.0:8788", "refused"]


def test_each_gateway_unit_and_service_gives_the_gateway_a_setting_it_accepts() -> None:
    """deploy/: the gateways' own environment (systemd units and compose services, the standby's included), with
    the env file's token, is what gateway.js accepts, and each listens where its bot connects."""
    require_gateway()
    from tests.test_deploy import compose, environment

    envs = {name: environment(name) for name in ("gridbot-gateway.service", "gridbot-standby-gateway.service")}
    services = compose()["services"]
    for name in ("gateway", "gateway-standby"):
        envs[name] = {k: str(v) for k, v in services[name]["environment"].items()}
    script = (
        "import { readConfig } from './gateway.js';"
        "const envs = JSON.parse(process.argv[1]);"
        "for (const [name, env] of Object.entries(envs)) {"
        "  const c = readConfig({ ...env, WECHATY_TOKEN: 'insecure_x' }); console.log(name, c.endpoint, c.memory) }"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(envs)],
        cwd=GATEWAY,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    said = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()}
    assert said == {
        "gridbot-gateway.service": ["127.0.0.1:8788", "gridbot-gateway"],
        "gridbot-standby-gateway.service": ["127.0.0.1:8790", "gridbot-gateway-standby"],
        "gateway": ["0.0.0.0:8788", "/var/lib/gateway/gridbot-gateway"],
        "gateway-standby": ["0.0.0.0:8788", "/var/lib/gateway/gridbot-gateway"],
    }
