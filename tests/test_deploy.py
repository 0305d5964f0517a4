"""deploy/: the compose file and the systemd units, checked by reading them (no docker or systemd needed, so
nothing here is skipped anywhere) and by running each unit's gridbot command line with --help."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.main import build_parser
from bot.core.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.*"))
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|KEY")
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def example_env() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def test_compose_has_the_three_services_wired_together() -> None:
    data = compose()
    services = data["services"]
    # a single-account office starts these three; the standby account's two only with `--profile standby`
    always = {name for name, service in services.items() if "profiles" not in service}
    assert always == {"gridbot", "postgres", "gateway"}
    bot = services["gridbot"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "gateway" in bot["depends_on"]
    assert bot["environment"]["WECHATY_PUPPET_SERVICE_ENDPOINT"] == "gateway:8788"
    assert "postgres:5432" in bot["environment"]["GRIDBOT_DATABASE_URL"]
    gateway = services["gateway"]
    assert gateway["environment"]["GATEWAY_LISTEN"] == "0.0.0.0:8788"  # the container's interfaces only
    assert gateway["environment"]["GATEWAY_CONTAINER"] == "1"
    assert gateway["build"]["dockerfile"] == "deploy/gateway.Dockerfile"
    assert "ports" not in services["gateway"]  # plaintext gRPC stays on the compose network
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"])
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in data["volumes"], f"{name}: volume {source} is not declared"


def resolved(environment: dict[str, Any]) -> dict[str, str]:
    """A service's environment as compose would give it, with a placeholder for each variable from deploy/env."""
    return {k: INTERPOLATION.sub(lambda m: f"x-{m.group(1).lower()}", str(v)) for k, v in environment.items()}


def test_the_standby_profile_is_a_second_account_beside_the_first() -> None:
    data = compose()
    services = data["services"]
    standby = {name for name, service in services.items() if "standby" in service.get("profiles", [])}
    assert standby == {"gridbot-standby", "gateway-standby"}
    for name, service in services.items():  # what starts without the profile never waits for what does not
        if "profiles" not in service:
            assert not set(service.get("depends_on", {})) & standby, name
    bot, first = services["gridbot-standby"], services["gridbot"]
    assert bot["build"] == first["build"]
    assert bot["command"] == first["command"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "gateway-standby" in bot["depends_on"]
    env = resolved(bot["environment"])
    assert env["WECHATY_PUPPET_SERVICE_ENDPOINT"] == "gateway-standby:8788"
    assert env["GRIDBOT_DATABASE_URL"] == resolved(first["environment"])["GRIDBOT_DATABASE_URL"]  # one database
    assert "ports" not in bot  # the office's page is the first account's
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    # each its own data_dir and its own login: no volume shared but the read-only config
    volumes = {v.split(":")[0] for v in bot["volumes"]}
    assert volumes & {v.split(":")[0] for v in first["volumes"]} == {"./config.yaml"}
    gateway, first_gateway = services["gateway-standby"], services["gateway"]
    assert gateway["build"] == first_gateway["build"]
    assert gateway["environment"] == first_gateway["environment"]  # the same gateway, in its own container
    assert "ports" not in gateway
    assert {v.split(":")[0] for v in gateway["volumes"]}.isdisjoint(v.split(":")[0] for v in first_gateway["volumes"])
    # the settings each process loads from the one config.yaml: two accounts, one of them waits
    config = DEPLOY / "config.example.yaml"
    speaking = load_settings(config, env=resolved(first["environment"]))
    waiting = load_settings(config, env=env)
    assert (speaking.account.standby, waiting.account.standby) == (False, True)
    assert speaking.account.id != waiting.account.id


def test_the_gridbot_healthcheck_asks_healthz() -> None:
    check = compose()["services"]["gridbot"]["healthcheck"]
    assert check["test"][0] == "CMD"
    assert "/healthz" in " ".join(check["test"])
    assert compose()["services"]["postgres"]["healthcheck"]["test"][1] == "pg_isready"


def test_no_secret_is_written_in_the_compose_file() -> None:
    known = example_env()
    for name, service in compose()["services"].items():
        for key, value in service.get("environment", {}).items():
            text = str(value)
            if SECRET_NAME.search(key):
                assert INTERPOLATION.fullmatch(text), f"{name}.{key} is written in clear: {text!r}"
            if "://" in text and "@" in text:  # a URL with credentials: the password part is interpolated
                credentials = text.split("://", 1)[1].split("@", 1)[0]
                assert ":" not in credentials or INTERPOLATION.search(credentials.split(":", 1)[1]), f"{name}.{key}"
            for var in INTERPOLATION.findall(text):
                assert var in known, f"{name}.{key} uses {var}, which deploy/env.example does not list"
    assert all(not v or v == "insecure_" or not SECRET_NAME.search(k) for k, v in known.items())


def test_the_image_copies_what_exists_and_the_example_config_loads() -> None:
    dockerfile = DEPLOY / compose()["services"]["gridbot"]["build"]["dockerfile"].removeprefix("deploy/")
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    settings = load_settings(DEPLOY / "config.example.yaml", env={})
    assert settings.web.enabled
    assert settings.log_format == "json"
    assert [c.type for c in settings.alerts.channels] == ["wecom", "email"]


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """systemd's unit syntax: [Section], Key=Value (a key may repeat), whole-line comments only."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(("#", ";")):
            continue
        if line.startswith("["):
            assert line.endswith("]"), f"{path.name}:{n}"
            current = line[1:-1]
            assert current not in sections, f"{path.name}:{n}: [{current}] twice"
            sections[current] = []
            continue
        assert current is not None, f"{path.name}:{n}: a setting before any section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}:{n}: not Key=Value"
        assert re.fullmatch(r"[A-Za-z]+", key), f"{path.name}:{n}: {key!r}"
        # systemd has no end-of-line comments: the text would become part of the value
        assert not re.search(r"\s#", value) or key.startswith("Exec"), f"{path.name}:{n}: inline comment"
        sections[current].append((key, value))
    return sections


def test_there_are_units_and_each_has_its_sections() -> None:
    names = {p.name for p in UNITS}
    assert {"gridbot.service", "gridbot-health.service", "gridbot-health.timer"} <= names
    for path in UNITS:
        unit = parse_unit(path)
        assert "Unit" in unit, path.name
        assert dict(unit["Unit"]).get("Description"), path.name
        if path.suffix == ".timer":
            assert "Timer" in unit, path.name
            assert "Install" in unit, path.name
            assert path.with_suffix(".service").exists(), f"{path.name} starts a service that does not exist"
        else:
            assert path.suffix == ".service", path.name
            service = dict(unit["Service"])
            assert service["Type"] in {"simple", "oneshot"}, path.name
            assert service.get("User") == "gridbot", path.name
            assert "ExecStart" in service, path.name
            if service["Type"] == "simple":
                assert "Install" in unit, path.name
        for key, value in unit.get("Service", []):
            if key == "Environment":
                assert not SECRET_NAME.search(value.split("=", 1)[0]) or value.endswith("=true"), path.name


def gridbot_commands() -> list[tuple[str, list[str]]]:
    out = []
    for path in UNITS:
        for key, value in parse_unit(path).get("Service", []):
            argv = shlex.split(value.lstrip("-+@!:"))
            if key.startswith("Exec") and argv and argv[0].endswith("/gridbot"):
                out.append((path.name, argv[1:]))
    return out


def test_every_unit_runs_a_gridbot_command() -> None:
    commands = dict(gridbot_commands())
    services = {p.name for p in UNITS if p.suffix == ".service" and not p.name.endswith("gateway.service")}
    assert set(commands) == services


def unit(name: str) -> dict[str, list[tuple[str, str]]]:
    return parse_unit(DEPLOY / "systemd" / name)


def settings_of(name: str) -> dict[str, str]:
    """One section's settings; for a key that repeats, the last."""
    return dict(unit(name)["Service"])


def env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: {line!r}"
            assert re.fullmatch(r"[A-Z0-9_]+", key), f"{path.name}: {line!r}"
            out[key] = value
    return out


def environment(name: str) -> dict[str, str]:
    return dict(value.split("=", 1) for key, value in unit(name)["Service"] if key == "Environment")


def test_a_units_own_environment_is_not_overridden_by_the_env_file() -> None:
    # systemd: what EnvironmentFile= sets wins over Environment=; a key in both would be silently the file's
    known = set(example_env())
    for path in UNITS:
        own = {value.split("=", 1)[0] for key, value in parse_unit(path).get("Service", []) if key == "Environment"}
        assert not own & known, f"{path.name}: {sorted(own & known)} are set in deploy/env.example too"


def test_each_gateway_unit_runs_the_checkouts_gateway_on_its_own_port_with_its_own_login() -> None:
    gateways = sorted(p.name for p in UNITS if p.name.endswith("gateway.service"))
    assert gateways == ["gridbot-gateway.service", "gridbot-standby-gateway.service"]
    listens, memories = set(), set()
    for name in gateways:
        service = settings_of(name)
        assert shlex.split(service["ExecStart"]) == ["/usr/bin/node", "gateway.js"], name
        assert service["WorkingDirectory"] == "/srv/gridbot/gateway", name  # the checkout's gateway/, as below
        assert (ROOT / "gateway" / "gateway.js").is_file()
        env = {"GATEWAY_MEMORY": "gridbot-gateway", **environment(name)}  # gateway.js's default memory card
        assert env["GATEWAY_LISTEN"].startswith("127.0.0.1:"), name  # plaintext gRPC on loopback
        listens.add(env["GATEWAY_LISTEN"])
        memories.add(env["GATEWAY_MEMORY"])
    assert len(listens) == len(memories) == len(gateways)  # two accounts: two ports, two logins


def test_the_standby_units_are_the_second_account_of_a_pair() -> None:
    bot = unit("gridbot-standby.service")
    service = settings_of("gridbot-standby.service")
    assert "gridbot-standby-gateway.service" in dict(bot["Unit"])["After"].split()
    assert shlex.split(service["ExecStart"])[1:] == shlex.split(settings_of("gridbot.service")["ExecStart"])[1:]
    # the standby's file is read after the shared one, so that its values win
    files = [value for key, value in bot["Service"] if key == "EnvironmentFile"]
    assert files == ["/etc/gridbot/env", "/etc/gridbot/standby.env"]
    standby = env_file(DEPLOY / "standby.env.example")
    assert standby["GRIDBOT_STANDBY"] == "true"
    listens = {
        name: environment(f"{name}.service")["GATEWAY_LISTEN"]
        for name in ("gridbot-gateway", "gridbot-standby-gateway")
    }
    assert standby["WECHATY_PUPPET_SERVICE_ENDPOINT"] == listens["gridbot-standby-gateway"]
    assert example_env()["WECHATY_PUPPET_SERVICE_ENDPOINT"] == listens["gridbot-gateway"]
    assert not any(SECRET_NAME.search(key) for key in standby)
    # its data_dir is the state directory systemd makes for it, and is not the first account's
    assert standby["GRIDBOT_DATA_DIR"] == "/var/lib/" + service["StateDirectory"] == service["WorkingDirectory"]
    config = DEPLOY / "config.example.yaml"
    first = load_settings(config, env=example_env())
    second = load_settings(config, env={**example_env(), **standby})
    assert (first.account.standby, second.account.standby) == (False, True)
    assert second.account.id == standby["GRIDBOT_ACCOUNT"] != first.account.id
    assert second.data_dir == Path(standby["GRIDBOT_DATA_DIR"]) != first.data_dir
    # its health check reads its heartbeat (the same files, the same directory) and restarts it, not the first
    health = unit("gridbot-standby-health.service")
    assert [value for key, value in health["Service"] if key == "EnvironmentFile"] == files
    assert settings_of("gridbot-standby-health.service")["WorkingDirectory"] == service["WorkingDirectory"]
    assert settings_of("gridbot-standby-health.service")["ExecStopPost"].endswith("systemctl restart gridbot-standby'")
    assert (DEPLOY / "systemd" / "gridbot-standby-health.timer").exists()


@pytest.mark.parametrize(("unit", "args"), gridbot_commands(), ids=[u for u, _ in gridbot_commands()])
def test_each_units_gridbot_command_parses(unit: str, args: list[str]) -> None:
    parsed = build_parser().parse_args(args)  # the subcommand and every option exist
    assert parsed.command == args[0]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert f"usage: gridbot {args[0]}" in done.stdout


def test_the_readme_points_to_the_unit_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/systemd/" in readme
    assert "deploy/docker-compose.yml" in readme
    assert "[Service]" not in readme  # the units live in deploy/, not copied into the README


def test_the_gateway_image_is_gateway_s_own_package_and_lock() -> None:
    text = (DEPLOY / "gateway.Dockerfile").read_text(encoding="utf-8")
    lines = text.replace("\\\n", " ").splitlines()  # continuation lines joined
    steps = [line.split(None, 1) for line in lines if line.strip() and not line.startswith("#")]
    assert steps[0][0] == "FROM"
    assert steps[0][1].startswith("node:")
    copies = [rest for op, rest in steps if op == "COPY"]
    assert "gateway/package.json gateway/package-lock.json ./" in copies
    assert "gateway/gateway.js ./" in copies
    run = " ".join(rest for op, rest in steps if op == "RUN")
    assert "npm ci --omit=dev" in run  # the lock, as in CI
    assert "EXTRA_PUPPETS" in run  # padlocal / xp only when the office asks
    assert steps[-1] == ["CMD", '["node", "gateway.js"]']
    root = DEPLOY.parent
    for rest in copies:
        for source in rest.split()[:-1]:
            assert (root / source).exists(), source
