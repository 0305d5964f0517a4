"""The Wechaty adapter's pure parts and packaging; the adapter itself is proven against a real server in tests/e2e."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

from bot.adapters.wechaty.adapter import WechatyAdapter
from bot.adapters.wechaty.compat import load_wechaty
from bot.adapters.wechaty.convert import AT_SEPARATOR, strip_mentions, to_datetime
from bot.adapters.wechaty.send_outcome import answer_lost
from bot.cli.main import main
from bot.core.messages import IncomingMessage, OutgoingMessage
from bot.core.port import SendError
from bot.core.settings import ConfigError, Settings
from storage.store import Store
from tests import fixed_time


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
    msg = IncomingMessage("m1", "room@chatroom", "楼", "wxid_a", "周阿姨", "楼道灯坏了", fixed_time.START)
    with store.begin() as uow:
        _, new = uow.messages.add(msg, purge_after=None)
    with store.begin() as uow:
        _, again = uow.messages.add(msg, purge_after=None)
    store.dispose()
    assert (new, again) == (True, False)


@pytest.mark.parametrize(
    ("exc", "lost"),
    [
        (TimeoutError(), True),
        (StreamTerminatedError("Connection lost"), True),  # what grpclib raises when the connection drops mid-call
        (ConnectionResetError(), True),
        (BrokenPipeError(), True),
        (GRPCError(Status.UNAVAILABLE, "gone"), True),
        (GRPCError(Status.DEADLINE_EXCEEDED), True),
        (GRPCError(Status.CANCELLED), True),
        (ConnectionRefusedError(), False),  # nothing reached the server
        (GRPCError(Status.UNKNOWN, "harness: told to fail this send"), False),  # the server's answer: refused
        (GRPCError(Status.INVALID_ARGUMENT), False),
        (ValueError("bad payload"), False),
    ],
)
def test_which_failures_lose_the_answer(exc: BaseException, lost: bool) -> None:
    assert answer_lost(exc) is lost


class _Chat:
    name = "周阿姨"

    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail = fail

    async def ready(self) -> None:
        if self.fail is not None:
            raise self.fail


class _Puppet:
    def __init__(self, fail: BaseException | None) -> None:
        self.fail = fail
        self.calls: list[tuple[str, str, object]] = []

    async def message_send_text(self, conversation_id: str, message: str, mention_ids: object = None) -> str:
        self.calls.append((conversation_id, message, mention_ids))
        if self.fail is not None:
            raise self.fail
        return "msg-1"


def _adapter(settings: Settings, *, lookup: BaseException | None = None, call: BaseException | None = None) -> Any:
    adapter = WechatyAdapter(
        settings, {"WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:1", "WECHATY_PUPPET_SERVICE_TOKEN": "t"}
    )
    chat = _Chat(lookup)
    adapter._bot = SimpleNamespace(
        Room=SimpleNamespace(load=lambda _id: chat),
        Contact=SimpleNamespace(load=lambda _id: _Chat()),
        puppet=_Puppet(call),
    )
    adapter._connected = True
    return adapter


@pytest.mark.parametrize(
    ("lookup", "call", "uncertain"),
    [
        (StreamTerminatedError("Connection lost"), None, False),  # the room lookup failed: nothing was sent
        (None, GRPCError(Status.UNKNOWN, "refused"), False),
        (None, StreamTerminatedError("Connection lost"), True),
        (None, GRPCError(Status.UNAVAILABLE), True),
    ],
)
async def test_a_send_is_uncertain_only_once_its_call_was_issued(
    settings: Settings, lookup: BaseException | None, call: BaseException | None, uncertain: bool
) -> None:
    adapter = _adapter(settings, lookup=lookup, call=call)
    said = r"it may have gone out" if uncertain else r"\((before the call was issued|refused by the puppet service)\)"
    with pytest.raises(SendError, match=said) as failed:
        await adapter.send(OutgoingMessage(chat_id="g@chatroom", text="已登记 #1", mention_ids=("wxid_zhou",)))
    assert failed.value.uncertain is uncertain
    calls = adapter._bot.puppet.calls
    assert calls == ([] if lookup else [("g@chatroom", "@周阿姨 已登记 #1", ["wxid_zhou"])])


async def test_a_send_that_times_out_is_uncertain_and_drops_the_connection(settings: Settings) -> None:
    adapter = _adapter(
        settings.model_copy(update={"wechaty": settings.wechaty.model_copy(update={"send_timeout_seconds": 0.05})})
    )
    hung = asyncio.Event()

    async def never_answers(conversation_id: str, message: str, mention_ids: object = None) -> str:
        await hung.wait()
        return "msg-1"

    adapter._bot.puppet.message_send_text = never_answers
    session = asyncio.create_task(asyncio.Event().wait())
    adapter._session_task = session
    with pytest.raises(SendError, match="timed out") as failed:
        await adapter.send(OutgoingMessage(chat_id="g@chatroom", text="已登记 #1"))
    assert failed.value.uncertain
    with pytest.raises(asyncio.CancelledError, match=r"^$"):  # cancelled, with no message of its own
        await session  # the session is cancelled: `run` connects afresh
    assert not adapter._connected
    with pytest.raises(SendError, match="not connected") as behind:  # the sends behind it wait for the new one
        await adapter.send(OutgoingMessage(chat_id="g@chatroom", text="#1 已由张燕接单。"))
    assert not behind.value.uncertain
