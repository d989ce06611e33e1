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

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_CROCKFORD_UPPER = _CROCKFORD.upper()


def new_id(prefix: str) -> str:
    """``prefix_`` + a lowercase ULID (48-bit milliseconds + 80 random bits)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode_ulid(value)}"


def route_id(letter: str) -> str:
    n = int.from_bytes(os.urandom(10), "big")
    chars = [_CROCKFORD_UPPER[(n >> (5 * i)) & 31] for i in range(15, -1, -1)]
    return letter + "".join(chars)


def secret_token(prefix: str) -> str:
    """A bearer secret: prefix + 256 random bits in Crockford base32 (52 chars)."""
    n = int.from_bytes(secrets.token_bytes(32), "big")
    return prefix + "_" + "".join(_CROCKFORD[(n >> (5 * i)) & 31] for i in range(51, -1, -1))


# Ids are made on every write, so encoding is table-driven: 10 bits (two characters) a step.
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
# Crockford digits -> the digits int(x, 32) understands (0-9a-v), for a C-speed decode.
_TO_BASE32 = str.maketrans(_CROCKFORD, "0123456789abcdefghijklmnopqrstuv")


def _encode_ulid(value: int) -> str:
    """26 Crockford characters for a 128-bit value (130 bits, the top two always zero)."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in range(120, -10, -10)])


def _decode_ulid(text: str) -> int:
    return int(text.translate(_TO_BASE32), 32)


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
