"""The slowdown and lock after wrong passwords (and wrong Open311 keys), and whose address a request is.

An attempt is counted the moment it arrives, before the slow password check: forty guesses sent at once
all see each other, so at most `lock_after` of them are ever checked. At most a few checks run at once
per account and per address (`busy`): the rest are refused unchecked and still count. Accounts are keyed
by the person the login name resolves to, so every alias shares one counter.

The address is the TCP peer, unless that peer is one of `web.trusted_proxies`: only then is
X-Forwarded-For read, from the right, skipping the trusted proxies' own hops.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # X-Forwarded-For entries looked at; a longer chain is not a proxy setup we run


class Refusal(StrEnum):
    LOCKED = "locked"  # too many failures in the window: refused without a check
    BUSY = "busy"  # too many checks running for this account or address: refused, and counted


@dataclass(frozen=True)
class Attempt:
    keys: tuple[str, ...]
    at: float


@dataclass
class Throttle:
    """The n-th failure within `window` seconds waits `base * 2**(n-1)` seconds (capped) before the
    answer; from `lock_after` counted attempts on, attempts are refused without checking anything.
    `concurrent` caps the checks running at once per key prefix ("person:", "addr:", …; default 2)."""

    sleep: Callable[[float], Awaitable[None]]
    clock: Callable[[], float] = time.monotonic
    base: float = 0.5
    cap: float = 8.0
    window: float = 900.0
    lock_after: int = 10
    concurrent: dict[str, int] = field(default_factory=lambda: {"addr:": 4})
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _running: dict[str, int] = field(default_factory=dict)

    def _recent(self, key: str) -> list[float]:
        cutoff = self.clock() - self.window
        kept = [t for t in self._failures.get(key, []) if t > cutoff]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def failures(self, *keys: str) -> int:
        return max((len(self._recent(k)) for k in keys), default=0)

    def locked(self, *keys: str) -> bool:
        return self.failures(*keys) >= self.lock_after

    def delay_for(self, count: int) -> float:
        return 0.0 if count <= 0 else min(self.base * 2 ** (count - 1), self.cap)

    def _limit(self, key: str) -> int:
        return next((n for prefix, n in self.concurrent.items() if key.startswith(prefix)), 2)

    def admit(self, *keys: str) -> Attempt | Refusal:
        """Count the attempt now (as a failure until it succeeds) and take a check slot, or refuse it.
        No await happens in here, so attempts arriving together are counted one after the other."""
        if self.locked(*keys):
            return Refusal.LOCKED
        attempt = Attempt(keys, self.clock())
        for key in keys:
            self._failures.setdefault(key, []).append(attempt.at)
        if any(self._running.get(k, 0) >= self._limit(k) for k in keys):
            return Refusal.BUSY
        for key in keys:
            self._running[key] = self._running.get(key, 0) + 1
        return attempt

    def release(self, attempt: Attempt) -> None:
        """The check is over (whatever its outcome): free its slots. Call it in a `finally`."""
        for key in attempt.keys:
            left = self._running.get(key, 0) - 1
            if left > 0:
                self._running[key] = left
            else:
                self._running.pop(key, None)

    async def failed(self, attempt: Attempt) -> float:
        """The check failed (already counted): wait before answering, still holding the slots."""
        wait = self.delay_for(self.failures(*attempt.keys))
        await self.sleep(wait)
        return wait

    def succeeded(self, attempt: Attempt, clear: Iterable[str]) -> None:
        """The check passed: the keys in `clear` start afresh; on the others only this attempt is taken back."""
        forget = set(clear)
        for key in attempt.keys:
            if key in forget:
                self._failures.pop(key, None)
            elif attempt.at in self._failures.get(key, []):
                self._failures[key].remove(attempt.at)


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.9:5123"
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The address to throttle: the peer, or, when the peer is a trusted proxy, the first hop from the
    right of X-Forwarded-For that is not one (a malformed hop stops the walk at the last trusted one)."""
    current = peer or ""
    address = _ip(current)
    if not trusted or not forwarded_for or address is None or not any(address in n for n in trusted):
        return current
    for hop in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
        found = _ip(hop)
        if found is None:
            return current
        current = str(found)
        if not any(found in n for n in trusted):
            return current
    return current
