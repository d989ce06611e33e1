"""Resolving the caller (contract 2.1), the locality test, and the CSRF rule (2.2).

Precedence: ``Authorization: Bearer`` > session cookie > dev fallbacks (dev bootstrap *and* a
local request only).  An invalid bearer never falls back to the cookie.
"""

from __future__ import annotations

import functools
import ipaddress
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from clickclack.actor import Actor
from clickclack.errors import Forbidden, Unauthorized
from clickclack.services import Services

COOKIE_NAME = "cc_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
BEARER_SUBPROTOCOL = "clickclack.bearer."


# The common spellings, answered without parsing (is_local runs on every dev-mode request).
_LOOPBACK_FAST = frozenset({"127.0.0.1", "::1", "localhost"})


@functools.lru_cache(maxsize=1024)
def _is_loopback_host(host: str) -> bool:
    if host in _LOOPBACK_FAST:
        return True
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin_matches(origin: str, headers: Any, public_url: str) -> bool:
    if public_url:
        return origin.rstrip("/") == public_url
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc.lower() == (headers.get("Host") or "").lower()


def same_origin(headers: Any, public_url: str) -> bool:
    origin = headers.get("Origin")
    if origin is not None:
        return _origin_matches(origin, headers, public_url)
    return headers.get("Sec-Fetch-Site") in (None, "same-origin", "none")


def is_local(remote_addr: str | None, headers: Any) -> bool:
    if not remote_addr or not _is_loopback_host(remote_addr):
        return False
    if not _is_loopback_host(headers.get("Host") or ""):
        return False
    origin = headers.get("Origin")
    if origin is not None and not _origin_matches(origin, headers, ""):
        return False
    if headers.get("Sec-Fetch-Site") not in (None, "same-origin", "none"):
        return False
    for name in ("X-Forwarded-For", "X-Real-IP", "X-Forwarded-Host"):
        if name not in headers:
            continue
        for value in headers.getlist(name):
            for item in value.split(","):
                if item.strip() and not _is_loopback_host(item.strip()):
                    return False
    for value in headers.getlist("Forwarded") if "Forwarded" in headers else ():
        for part in value.replace(",", ";").split(";"):
            key, _, val = part.strip().partition("=")
            if key.lower() in ("for", "host") and not _is_loopback_host(val.strip('"')):
                return False
    return True


def session_cookie(headers: Any) -> str | None:
    """The session cookie's value; 401 when it is sent more than once."""
    found: list[str] = []
    for raw in headers.getlist("Cookie"):
        for piece in raw.split(";"):
            name, sep, value = piece.strip().partition("=")
            if sep and name == COOKIE_NAME:
                found.append(value)
    if len(found) > 1:
        raise Unauthorized("multiple cookies with the same name are not allowed",
                           code="duplicate_cookie")
    if not found:
        return None
    try:
        parsed = SimpleCookie()
        parsed.load(f"{COOKIE_NAME}={found[0]}")
        return parsed[COOKIE_NAME].value if COOKIE_NAME in parsed else found[0]
    except CookieError:
        return found[0]


def authorize(actor: Actor, need: str, scope: str | None) -> None:
    """Route-level check: humans pass; bot tokens need the route's scope and never reach
    human-only routes.  (Membership and per-object rules are checked in the store.)"""
    if not actor.is_bot:
        return
    if need == "human":
        raise Forbidden("bot tokens cannot use this route", code="human_only")
    if scope is None or actor.scopes is None or scope not in actor.scopes:
        raise Forbidden(f"bot token lacks the {scope} scope", code="missing_scope",
                        required_scope=scope)


def resolve(services: Services, method: str, remote_addr: str | None, headers: Any,
            bearer: str | None = None) -> Actor:
    """Who is calling, or raise Unauthorized / Forbidden (CSRF)."""
    store = services.store
    authz = headers.get("Authorization")
    if bearer is None and authz is not None:
        scheme, _, token = authz.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("malformed Authorization header", code="bad_authorization")
        bearer = token.strip()
    if bearer is not None:
        if bearer.startswith("ccb_"):
            bot = store.bot_for_token(bearer)
            if bot is None:
                raise Unauthorized("invalid or revoked bot token", code="invalid_token")
            return bot
        found = store.session_for_token(bearer)
        if found is None:
            raise Unauthorized("invalid or expired token", code="invalid_token")
        return Actor(user_id=found[1], session_id=found[0], via="bearer")
    cookie = session_cookie(headers)
    if cookie is not None:
        found = store.session_for_token(cookie)
        if found is None:
            raise Unauthorized("session expired or revoked", code="invalid_session")
        if method not in SAFE_METHODS and (
            headers.get("X-ClickClack-CSRF") != "1"
            or not same_origin(headers, services.config.public_url)
        ):
            raise Forbidden("cross-site session requests are not allowed", code="csrf_failed")
        return Actor(user_id=found[1], session_id=found[0], via="cookie")
    if services.config.dev_bootstrap and is_local(remote_addr, headers):
        who = headers.get("X-ClickClack-User")
        if who:
            if not store.user_exists(who):
                raise Unauthorized("unknown user in X-ClickClack-User", code="invalid_dev_user")
            return Actor(user_id=who, via="dev")
        first = store.first_user_id()
        if first is not None:
            return Actor(user_id=first, via="dev")
    raise Unauthorized("authentication required", code="authentication_required")
