"""Sign-in (dev magic links, sessions) and the profile (contract 2.6 and 4)."""

from __future__ import annotations

from quart import Response, request

from clickclack.api import auth
from clickclack.api.http import Ctx, encode
from clickclack.api.routing import route
from clickclack.errors import ClickclackError, Forbidden, UnsupportedMediaType
from clickclack.types import (
    MagicConsume,
    MagicRequest,
    MagicRequested,
    Me,
    Ok,
    SessionCreated,
)


class NotImplementedHere(ClickclackError):
    status = 501
    code = "magic_link_delivery_unconfigured"
    title = "Not Implemented"


def _strict_json_same_origin(ctx: Ctx) -> None:
    """The guard on consume/logout (2.2): JSON only, and same-origin."""
    ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise UnsupportedMediaType("request body must be application/json",
                                   code="json_content_type_required")
    if not auth.same_origin(request.headers, ctx.services.config.public_url):
        raise Forbidden("cross-site login requests are not allowed", code="cross_site_login")


def _cookie_secure() -> bool:
    # Secure everywhere except plain-HTTP loopback development.
    return not (request.scheme == "http" and auth.is_local(request.remote_addr, request.headers))


@route("POST", "/api/auth/magic/request", summary="Request a magic sign-in link",
       auth="public", body=MagicRequest, response=MagicRequested, status=201,
       errors=(400, 403, 415, 501), tags=("auth",))
async def magic_request(ctx: Ctx, body: MagicRequest) -> MagicRequested:
    if not ctx.services.config.dev_bootstrap:
        raise NotImplementedHere("magic-link delivery is not configured")
    if not auth.is_local(request.remote_addr, request.headers):
        raise Forbidden("dev magic links are answered only on loopback", code="not_loopback")
    link, token = await ctx.services.store.create_magic_link(body.email, body.display_name)
    return MagicRequested(magic_link=link, token=token)


@route("POST", "/api/auth/magic/consume", summary="Exchange a magic link for a session",
       auth="public", body=MagicConsume, response=SessionCreated, errors=(400, 403, 415),
       tags=("auth",))
async def magic_consume(ctx: Ctx, body: MagicConsume) -> Response:
    _strict_json_same_origin(ctx)
    user, session = await ctx.services.store.consume_magic_link(body.token.strip())
    resp = encode(SessionCreated(user=user, session=session, token=session.token))
    resp.set_cookie(auth.COOKIE_NAME, session.token, max_age=30 * 24 * 3600, httponly=True,
                    samesite="Lax", secure=_cookie_secure(), path="/")
    return resp


@route("POST", "/api/auth/logout", summary="Revoke the current session and clear the cookie",
       auth="public", response=Ok, errors=(403, 415), tags=("auth",))
async def logout(ctx: Ctx) -> Response:
    _strict_json_same_origin(ctx)
    try:
        actor = auth.resolve(ctx.services, "GET", request.remote_addr, request.headers)
    except ClickclackError:
        actor = None
    if actor is not None and actor.session_id is not None:
        await ctx.services.store.revoke_session(actor.session_id)
        ctx.services.hub.close_credential(actor.session_id, reason="session revoked")
    resp = encode(Ok(ok=True))
    resp.delete_cookie(auth.COOKIE_NAME, path="/", httponly=True, samesite="Lax",
                       secure=_cookie_secure())
    return resp


@route("GET", "/api/me", summary="The caller's profile", auth="user", scope="profile:read",
       response=Me,
       errors=(401,), tags=("profile",))
async def me(ctx: Ctx) -> Me:
    return Me(user=ctx.services.store.get_user(ctx.user_id))
