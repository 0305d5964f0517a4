"""The Wechaty adapter's pure parts and packaging; the adapter itself is proven against a real server in tests/e2e."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.messages import IncomingMessage
from bot.settings import ConfigError, Settings
from bot.wechaty_adapter import AT_SEPARATOR, WechatyAdapter, strip_mentions, to_datetime
from bot.wechaty_compat import load_wechaty
from storage.repository import Store


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        (f"@网格助手{AT_SEPARATOR}楼道灯坏了", ["网格助手"], "楼道灯坏了"),
        (f"@张燕{AT_SEPARATOR}@网格助手 楼道灯坏了", ["网格助手", "张燕"], "楼道灯坏了"),
        ("楼道灯坏了 @张燕", ["张燕"], "楼道灯坏了"),
        ("邮件 a@b.com 收到了吗", ["b"], "邮件 a@b.com 收到了吗"),  # not an @-mention: no separator after it
        ("@张燕燕 你好", ["张燕"], "@张燕燕 你好"),  # a longer name is not cut
        ("@张燕 @张燕燕 你好", ["张燕", "张燕燕"], "你好"),
    ],
)
def test_strip_mentions(text: str, names: list[str], expected: str) -> None:
    assert strip_mentions(text, names) == expected


def test_timestamps_in_seconds_and_milliseconds() -> None:
    moment = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert to_datetime(moment.timestamp()) == moment
    assert to_datetime(moment.timestamp() * 1000) == moment


def test_without_an_endpoint_the_adapter_refuses_to_start(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="WECHATY_PUPPET_SERVICE_ENDPOINT"):
        WechatyAdapter(settings, {"WECHATY_PUPPET_SERVICE_TOKEN": "t"})
    with pytest.raises(ConfigError, match="WECHATY_PUPPET_SERVICE_TOKEN"):
        WechatyAdapter(settings, {"WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:1"})


def test_cli_says_what_is_missing_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_ENDPOINT", raising=False)
    config = tmp_path / "config.yaml"
    config.write_text(f"adapter: wechaty\ndata_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gridbot: adapter wechaty: set WECHATY_PUPPET_SERVICE_ENDPOINT")
    assert "Traceback" not in err


def test_the_sdk_imports_on_this_python_and_sqlmodel_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WECHATY_LOG", "error")
    monkeypatch.setenv("CACHE_DIR", "unused")  # restored after the test; load_wechaty sets its own
    sdk = load_wechaty(tmp_path / "wechaty")
    assert hasattr(sdk, "Wechaty")
    assert (tmp_path / "wechaty").is_dir()
    from wechaty_puppet import PuppetOptions  # noqa: TID251 (the packaging check itself)

    options = sdk.WechatyOptions(puppet_options=PuppetOptions(end_point="127.0.0.1:1", token="t"), port=0)
    assert options.puppet_options.end_point == "127.0.0.1:1"
    # the SQLAlchemy the SDK pulls in is the one sqlmodel runs on: a round trip through the store
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    msg = IncomingMessage("m1", "room@chatroom", "楼", "wxid_a", "周阿姨", "楼道灯坏了", datetime.now(UTC))
    with store.begin() as repo:
        _, new = repo.add_message(msg, purge_after=None)
    with store.begin() as repo:
        _, again = repo.add_message(msg, purge_after=None)
    store.dispose()
    assert (new, again) == (True, False)
