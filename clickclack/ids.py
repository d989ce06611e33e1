"""Identifiers and timestamps (contract section 1.3).

* Internal ids: ``<prefix>_`` + a lowercase 26-character ULID, so they sort by creation time.
* Route ids: one letter + 16 Crockford base32 characters from 10 random bytes.
* Event cursors: ``cur_`` + a lowercase ULID that is forced strictly above the previous one
  (:func:`next_cursor`), so cursor order equals commit order.
* Timestamps: RFC 3339 UTC with nanoseconds, e.g. ``2026-05-08T12:00:00.123456789Z``; as
  fixed-width strings they also sort correctly in SQL.
"""

from __future__ import annotations

import os
import secrets
import time

from ulid import ULID

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_CROCKFORD_UPPER = _CROCKFORD.upper()


def new_id(prefix: str) -> str:
    return f"{prefix}_{str(ULID()).lower()}"


def route_id(letter: str) -> str:
    n = int.from_bytes(os.urandom(10), "big")
    chars = [_CROCKFORD_UPPER[(n >> (5 * i)) & 31] for i in range(15, -1, -1)]
    return letter + "".join(chars)


def secret_token(prefix: str) -> str:
    """A bearer secret: prefix + 256 random bits in Crockford base32 (52 chars)."""
    n = int.from_bytes(secrets.token_bytes(32), "big")
    return prefix + "_" + "".join(_CROCKFORD[(n >> (5 * i)) & 31] for i in range(51, -1, -1))


def _encode_ulid(value: int) -> str:
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def _decode_ulid(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 32 + _CROCKFORD.index(ch)
    return value


def next_cursor(previous: str | None, now_ms: int | None = None) -> str:
    """A cursor strictly greater than ``previous`` (contract 14.6).

    Normally a fresh ULID for "now".  If the clock went backwards, or several cursors are made in
    the same millisecond, the candidate may sort at or below ``previous``; then we take
    ``previous + 1`` instead, so cursors never repeat and never go backwards.
    """
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    candidate = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    if previous:
        prev = _decode_ulid(previous[4:])
        if candidate <= prev:
            candidate = prev + 1
    return "cur_" + _encode_ulid(candidate)


def now_ts() -> str:
    """Current time as an RFC 3339 UTC string with nanoseconds."""
    ns = time.time_ns()
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def ts_from_epoch(seconds: float) -> str:
    ns = int(seconds * 1_000_000_000)
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"
