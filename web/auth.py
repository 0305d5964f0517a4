"""Passwords, sessions and CSRF tokens (the slowdown after wrong passwords is web/guard.py).

Passwords are stored only as PBKDF2-SHA256 hashes (`gridbot web-password` makes one). The session
is a signed cookie (HMAC-SHA256 with `GRIDBOT_WEB_SECRET`), bound to the person's current hash and
their session epoch (kept in the database, changed by logging out and by a new password), so a changed
or removed password or a logout ends every session of theirs, copied cookies too. CSRF: every page
sets a random `gridbot_csrf` cookie; every form carries HMAC(secret, that value and the session), which
a page on another site cannot read.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable

SCHEME = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
SESSION_COOKIE = "gridbot_session"
CSRF_COOKIE = "gridbot_csrf"
SESSION_SECONDS = 12 * 3600


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check; a malformed or empty stored hash never matches."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = _unb64(digest)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode(), _unb64(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Checked against when the login name is unknown, so the answer is as slow as a real check."""
    return hash_password("not-a-password", salt=b"gridbot-dummy-salt")


def is_password_hash(text: str) -> bool:
    parts = text.split("$")
    return len(parts) == 4 and parts[0] == SCHEME and parts[1].isdigit()


class Signer:
    """HMAC signatures over short strings, with the secret from the environment."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("gridbot-web:" + secret).encode()).digest()

    def sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def valid(self, payload: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature)

    def csrf_token(self, csrf_cookie: str, session: str) -> str:
        """Bound to the CSRF cookie and to the session: a token read under one session (or none) is
        refused under another, even with the same cookie."""
        return self.sign(f"csrf|{csrf_cookie}|{hashlib.sha256(session.encode()).hexdigest()}")

    def session_cookie(self, person_id: str, binding: str, now: float) -> str:
        """`binding` is what ends the session when it changes: the person's password hash and session epoch."""
        payload = f"{_b64(person_id.encode())}|{int(now)}|{_bound(binding)}"
        return f"{payload}|{self.sign(payload)}"

    def session_person(self, cookie: str, binding_of: Callable[[str], str], now: float) -> str | None:
        """The person a session cookie names, if it is genuine, fresh, and their binding is unchanged
        (same password, no logout since); an empty binding (no password) never matches."""
        try:
            encoded, issued, bound, signature = cookie.split("|")
            person_id = _unb64(encoded).decode()
            issued_at = int(issued)
        except (ValueError, UnicodeDecodeError):
            return None
        if not self.valid(f"{encoded}|{issued}|{bound}", signature):
            return None
        if not 0 <= now - issued_at <= SESSION_SECONDS:
            return None
        current = binding_of(person_id)
        if not current or not hmac.compare_digest(_bound(current), bound):
            return None
        return person_id


def _bound(binding: str) -> str:
    return hashlib.sha256(binding.encode()).hexdigest()[:16]
