"""In-process rate limits (contract section 18, reliability.md section 8 D9).

Token buckets keyed by ``(limit name, key)``: a bucket holds up to ``count`` tokens and refills
evenly, ``count`` tokens per ``period_s``; each counted event takes one token, and an event that
finds the bucket empty is refused with :class:`~clickclack.errors.RateLimited` (429 with
``Retry-After``: the seconds until a token is back).  ``5/15m`` therefore allows a burst of 5
and then one more every 3 minutes: the same long-run rate as "5 per 15 minutes".

Memory is bounded: each limit tracks at most ``max_keys`` keys and evicts the least recently
used one beyond that (an evicted key starts again with a full bucket).  Time is
``trio.current_time()``, so tests can drive it with a mock clock.  One :class:`RateLimiter` per
server, on ``Services.limits``; nothing here is module-level state.

Limits are configuration (``rate_*`` settings, ``N/period`` with period ``30s``, ``1m``, ``2h``
or plain seconds; ``off`` disables one).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import trio

from clickclack.errors import ConfigError, RateLimited

DEFAULT_MAX_KEYS = 50_000

# Limit name -> the Config field holding its "N/period" spec.
LIMITS: dict[str, str] = {
    "magic_request_ip": "rate_magic_request_ip",
    "magic_request_email": "rate_magic_request_email",
    "magic_consume_ip": "rate_magic_consume_ip",
    "password_login_ip": "rate_password_login_ip",
    "password_failures": "rate_password_failures",
    "password_change_failures": "rate_password_change_failures",
    "messages": "rate_messages",
    "ephemeral": "rate_ephemeral",
}

_MESSAGES: dict[str, str] = {
    "magic_request_ip": "too many sign-in link requests from this address",
    "magic_request_email": "too many sign-in link requests for this email address",
    "magic_consume_ip": "too many sign-in attempts from this address",
    "password_login_ip": "too many sign-in attempts from this address",
    "password_failures": "too many failed sign-ins for this account",
    "password_change_failures": "too many wrong current passwords",
    "messages": "posting too fast",
    "ephemeral": "sending realtime events too fast",
}

_RATE_RE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class Rate:
    count: int  # bucket size (burst)
    period_s: float  # ``count`` tokens are refilled over this many seconds

    @property
    def per_second(self) -> float:
        return self.count / self.period_s


def parse_rate(spec: str, setting: str = "rate") -> Rate | None:
    """``"20/1m"`` -> Rate(20, 60.0); ``"off"`` -> None.  ConfigError when malformed."""
    text = spec.strip().lower()
    if text in ("off", "none", "0"):
        return None
    m = _RATE_RE.match(text)
    if m is None:
        raise ConfigError(f"{setting} must look like 20/1m (count/period, period in s, m or h) "
                          f"or off, not {spec!r}")
    count, period = int(m.group(1)), float(m.group(2)) * _UNIT_S[m.group(3)]
    if count < 1 or period <= 0:
        raise ConfigError(f"{setting}: count and period must be positive, not {spec!r}")
    return Rate(count, period)


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


@dataclass(frozen=True, slots=True)
class RateLimiterStatistics:
    keys: dict[str, int]  # tracked keys per limit
    refused: dict[str, int]  # events refused per limit
    evicted: int


class RateLimiter:
    """Named token-bucket limits.  Synchronous: a check and its token are taken with no
    checkpoint in between, so concurrent requests cannot both take the last token."""

    def __init__(self, rates: Mapping[str, Rate | None], *, max_keys: int = DEFAULT_MAX_KEYS,
                 clock: Callable[[], float] = trio.current_time) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._rates = dict(rates)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, OrderedDict[str, _Bucket]] = {n: OrderedDict() for n in rates}
        self._refused: dict[str, int] = dict.fromkeys(rates, 0)
        self._evicted = 0

    @classmethod
    def from_config(cls, config: Any, **kw: Any) -> RateLimiter:
        return cls({name: parse_rate(getattr(config, field), field)
                    for name, field in LIMITS.items()}, **kw)

    def rate(self, name: str) -> Rate | None:
        return self._rates[name]

    def _bucket(self, name: str, key: str, rate: Rate, now: float) -> _Bucket:
        buckets = self._buckets[name]
        b = buckets.get(key)
        if b is None:
            b = buckets[key] = _Bucket(float(rate.count), now)
            while len(buckets) > self._max_keys:
                buckets.popitem(last=False)  # least recently used
                self._evicted += 1
        else:
            buckets.move_to_end(key)
            b.tokens = min(float(rate.count), b.tokens + (now - b.updated) * rate.per_second)
            b.updated = now
        return b

    def hit(self, name: str, key: str) -> None:
        """Take one token for ``key`` under limit ``name``, or raise RateLimited."""
        rate = self._rates[name]
        if rate is None:
            return
        b = self._bucket(name, key, rate, self._clock())
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return
        self._refused[name] += 1
        wait = (1.0 - b.tokens) / rate.per_second
        raise RateLimited(f"{_MESSAGES.get(name, 'too many requests')}; retry later",
                          retry_after=max(1, math.ceil(wait)), limit=name)

    def refund(self, name: str, key: str) -> None:
        """Give back a token taken by :meth:`hit` (e.g. a sign-in that turned out to succeed,
        for a limit that counts failures)."""
        rate = self._rates[name]
        if rate is None:
            return
        b = self._buckets[name].get(key)
        if b is not None:
            b.tokens = min(float(rate.count), b.tokens + 1.0)

    def statistics(self) -> RateLimiterStatistics:
        return RateLimiterStatistics(
            keys={n: len(b) for n, b in self._buckets.items()},
            refused=dict(self._refused), evicted=self._evicted)


def _ip_key(text: str) -> tuple[str, bool] | None:
    """(limit key, is loopback) for an address, or None when it is not an IP address."""
    try:
        addr = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped), addr.ipv4_mapped.is_loopback
        if not addr.is_loopback:
            # One IPv6 client usually controls a whole /64: limit the prefix, not the address.
            return str(ipaddress.ip_network(f"{addr}/64", strict=False)), False
    return str(addr), addr.is_loopback


def client_ip(remote_addr: str | None, headers: Any) -> str:
    """The client address that per-IP limits key on.

    The peer address, except behind a reverse proxy on the same machine: ``X-Real-IP`` is
    trusted only when the peer is loopback *and* ``X-Real-IP`` equals a single-address
    ``X-Forwarded-For`` (contract 18), so a client cannot pick its own key through a proxy that
    appends to ``X-Forwarded-For``.  IPv6 addresses are keyed by their /64.
    """
    peer = _ip_key(remote_addr or "")
    if peer is None:
        return remote_addr or "unknown"
    key, loopback = peer
    if loopback:
        real = headers.getlist("X-Real-IP")
        fwd = headers.getlist("X-Forwarded-For")
        if len(real) == 1 and len(fwd) == 1 and "," not in fwd[0] \
                and real[0].strip() == fwd[0].strip():
            forwarded = _ip_key(real[0])
            if forwarded is not None:
                return forwarded[0]
    return key
