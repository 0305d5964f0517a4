"""The bot account's WeChat login: waiting for a scan, logged in as …, logged out at ….

The Wechaty adapter records each change (`data_dir/login.json`, written atomically) and, while a scan is
waited for, the QR code as `data_dir/login-qr.png`; `gridbot health`, the command center's 登录 panel and
the alerts read them from other processes. In bot/core because the web page (a lower layer than the
adapter that writes it) reads it too.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

WAITING, LOGGED_IN, LOGGED_OUT = "waiting", "logged_in", "logged_out"
# the puppet's ScanStatus names (wechaty_puppet.ScanStatus), as the adapter passes them on
SCANNED = "Scanned"


@dataclass(frozen=True)
class LoginState:
    state: str  # WAITING | LOGGED_IN | LOGGED_OUT
    at: str  # ISO 8601: when the state began
    account: str = ""  # the bot account's name (and id), once it has logged in
    qrcode: str = ""  # what the QR code says, while a scan is waited for
    scan_status: str = ""  # the puppet's last scan status (Waiting, Scanned, Timeout, …)

    def said(self) -> str:
        """One English line: `waiting for scan` / `logged in as …` / `logged out at …`."""
        if self.state == WAITING:
            if self.scan_status == SCANNED:
                return f"waiting for scan: scanned, to be confirmed on the phone (QR code since {_hm(self.at)})"
            return f"waiting for scan (QR code since {_hm(self.at)})"
        if self.state == LOGGED_IN:
            return f"logged in as {self.account}" if self.account else "logged in"
        return f"logged out at {_hm(self.at)}"

    @property
    def needs_scan(self) -> bool:
        return self.state == WAITING


def _hm(at: str) -> str:
    try:
        return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return at


def login_path(data_dir: Path) -> Path:
    return data_dir / "login.json"


def qr_png_path(data_dir: Path) -> Path:
    return data_dir / "login-qr.png"


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def write_login(data_dir: Path, state: LoginState) -> None:
    _replace(login_path(data_dir), json.dumps(asdict(state), ensure_ascii=False).encode("utf-8"))
    if not state.needs_scan:
        qr_png_path(data_dir).unlink(missing_ok=True)  # a used or dead QR code is not left lying around


def read_login(data_dir: Path) -> LoginState | None:
    """The last recorded login state; None when none was recorded or the file is unreadable."""
    try:
        data: dict[str, Any] = json.loads(login_path(data_dir).read_text(encoding="utf-8"))
        return LoginState(**data)
    except (OSError, ValueError, TypeError):
        return None


def qr_text(payload: str) -> str:
    """The QR code drawn with block characters, to print in a terminal (a phone scans it from there)."""
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(payload)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()


def write_qr_png(data_dir: Path, payload: str) -> Path:
    """The QR code as a PNG under data_dir (for the command center's 登录 panel)."""
    import qrcode

    image = qrcode.make(payload, box_size=8, border=4)  # Pillow, which matplotlib already brings
    out = io.BytesIO()
    image.save(out, format="PNG")
    path = qr_png_path(data_dir)
    _replace(path, out.getvalue())
    return path
