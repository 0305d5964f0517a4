"""Residents' pictures and voice notes: stored by the bot in `data_dir/media/` under names it made up.

The web page serves a file only by a name recorded on one of the ticket's evidence events, and only
from this folder: a name is 32 random hex digits and a suffix the content itself decided (its magic
bytes), so no text a resident typed can ever name a file, and nothing but a picture or a voice note
is ever written here or read back. Files are opened with O_NOFOLLOW and must be regular files: a
symlink planted in the folder leads nowhere. The database is never opened through this module,
which matters for SQLite: closing any descriptor of the database file drops the process's locks.

Rows written before this folder existed name a file under data_dir in the event's note
(`media/dog.jpg`); `find_legacy` still finds such a picture, with the same refusals.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

FOLDER = "media"
REF_PREFIX = "media:"  # a stored message's ref for a file the bot stored: media:<name>
MAX_BYTES = 20 * 1024 * 1024
NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|gif|webp|silk|amr)")
# magic bytes → suffix; what is not among them is not stored (an .html "picture" would be a stored XSS)
_MAGIC = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"#!SILK", "silk"),
    (b"\x02#!SILK", "silk"),
    (b"#!AMR", "amr"),
)
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "silk": "audio/silk",
    "amr": "audio/amr",
}
_LEGACY_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
_IMAGES = ("jpg", "png", "gif", "webp")


def stored_name(ref: str) -> str:
    """The name of the file the bot stored for a message, from its ref ("" for anything else)."""
    name = ref.removeprefix(REF_PREFIX)
    return name if ref.startswith(REF_PREFIX) and NAME.fullmatch(name) else ""


def kind_of(data: bytes) -> str | None:
    """The suffix the content's magic bytes say, or None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((suffix for magic, suffix in _MAGIC if data.startswith(magic)), None)


def _read(path: Path, limit: int = MAX_BYTES) -> bytes | None:
    """A regular file's first `limit` bytes, never through a symlink at the last step."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        return f.read(limit)


class MediaStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.root = data_dir / FOLDER

    def put(self, data: bytes) -> str | None:
        """Store a picture or voice note under a new random name; None if it is neither, or too big."""
        suffix = kind_of(data)
        if suffix is None or len(data) > MAX_BYTES:
            return None
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_hex(16)}.{suffix}"
        fd = os.open(self.root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return name

    def remove(self, names: list[str]) -> int:
        """Delete stored files by name (a photo that attached to nothing goes with its message)."""
        removed = 0
        for name in names:
            path = self.find(name)
            if path is not None:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _plain(self, parts: list[str]) -> Path | None:
        """data_dir/parts, if no symlink lies below data_dir on the way (data_dir itself may be one)."""
        try:
            candidate = self.data_dir.resolve(strict=True).joinpath(*parts)
            return candidate if candidate.resolve(strict=True) == candidate and candidate.is_file() else None
        except OSError:
            return None

    def find(self, name: str) -> Path | None:
        """The file this store wrote under the recorded name, if it is still there."""
        return self._plain([FOLDER, name]) if NAME.fullmatch(name) else None

    def find_legacy(self, ref: str) -> Path | None:
        """A picture an older gridbot recorded by its path under data_dir: only a relative path of plain
        names with a picture's suffix and no symlink on the way (the suffix is checked before anything
        is looked at: the database is never touched)."""
        parts = ref.split("/")
        if (
            not ref.lower().endswith(_LEGACY_SUFFIXES)
            or ref.startswith(("/", "\\"))
            or any(c in ref for c in "\\%:\0")
            or any(part in ("", ".", "..") for part in parts)
        ):
            return None
        return self._plain(parts)

    @staticmethod
    def is_picture(path: Path) -> bool:
        """Whether the file starts like a picture (for a page that links to it; reads a few bytes)."""
        head = _read(path, 16)
        return head is not None and kind_of(head) in _IMAGES

    @staticmethod
    def load(path: Path, *, images_only: bool = False) -> tuple[bytes, str] | None:
        """(content, content type), if the content really is a picture (or a voice note)."""
        data = _read(path)
        suffix = kind_of(data) if data is not None else None
        if data is None or suffix is None or (images_only and suffix not in _IMAGES):
            return None
        return data, CONTENT_TYPES[suffix]
