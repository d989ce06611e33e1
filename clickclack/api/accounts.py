"""Sign-in (magic links, sessions, passwords), the profile (contract 2.6 and 4) and the helper
that applies the in-process rate limits (contract 18).

Magic-link request, in order:

* dev bootstrap on and a local request: the link is answered inline (201 with the token);
* SMTP configured (``--smtp-url``): the link is created and mailed, and the answer is always
  202 with the same body, whether or not the address belongs to anyone (consume creates the
  user on first use, so both cases really are the same work);
* otherwise 403 (dev bootstrap on, request not local) or 501 (no way to deliver a link).
"""

from __future__ import annotations

from quart import Response, request

from clickclack.api import auth
from clickclack.api.http import Ctx, encode, limits_exempt, rate_limit
from clickclack.api.routing import route
from clickclack.errors import (
    BadRequest,
    ClickclackError,
    Forbidden,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
)
from clickclack.mail import magic_link_mail, valid_recipient
from clickclack.passwords import check_length
from clickclack.ratelimit import client_ip
from clickclack.store import accounts as account_rules
from clickclack.types import (
    MagicAccepted,
    MagicConsume,
    MagicRequest,
    MagicRequested,
    Ok,
    SessionCreated,
    SessionInfo,
    User,
)
from clickclack.types.accounts import (
    MeProfile,
    PasswordChange,
    PasswordLogin,
    PatchMe,
    SignInMethods,
)

MAIL_ACCEPTED = "If that address can sign in, a link is on its way."
LOGIN_FAILED = "email, handle or password is incorrect"


class NotImplementedHere(ClickclackError):
    status = 501
    code = "magic_link_delivery_unconfigured"
    title = "Not Implemented"


def _strict_json_same_origin(ctx: Ctx, *, bodyless_ok: bool = False) -> None:
    """The guard on consume/logout/password routes (2.2): JSON only, and same-origin.

    ``bodyless_ok`` (logout, which takes no body): a request with neither a body nor a
    ``Content-Type`` passes the content-type half; the same-origin half still applies (a
    cross-site POST carries ``Origin``)."""
    ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    bodyless = (not request.content_length and "Transfer-Encoding" not in request.headers
                and "Content-Type" not in request.headers)
    if ctype != "application/json" and not (bodyless_ok and bodyless):
        raise UnsupportedMediaType("request body must be application/json",
                                   code="json_content_type_required")
    if not auth.same_origin(request.headers, ctx.services.config.public_url):
        raise Forbidden("cross-site login requests are not allowed", code="cross_site_login")


def _cookie_secure() -> bool:
    # Secure everywhere except plain-HTTP loopback development.
    return not (request.scheme == "http" and auth.is_local(request.remote_addr, request.headers))


def _signed_in(user: User, session: SessionInfo) -> Response:
    """The answer of every sign-in: the session, its bearer token and the session cookie."""
    resp = encode(SessionCreated(user=user, session=session, token=session.token))
    resp.set_cookie(auth.COOKIE_NAME, session.token, max_age=account_rules.SESSION_TTL_S,
                    httponly=True, samesite="Lax", secure=_cookie_secure(), path="/")
    return resp


def _link_base(ctx: Ctx) -> str:
    """Where mailed links point: the public URL, else this request's own origin."""
    return ctx.services.config.public_url or f"{request.scheme}://{request.host}"


# --- magic links -------------------------------------------------------------------------------

@route("GET", "/api/auth/methods", summary="How one can sign in here (the sign-in page asks: "
       "the one-click dev sign-in only for a loopback request to a dev-bootstrap server)",
       auth="public", response=SignInMethods, tags=("auth",))
async def sign_in_methods(ctx: Ctx) -> SignInMethods:
    services = ctx.services
    return SignInMethods(dev_sign_in=limits_exempt(ctx), magic_link_mail=services.mailer.enabled,
                         password=services.config.password_auth)


@route("POST", "/api/auth/magic/request", summary="Request a magic sign-in link (dev: answered "
       "inline on loopback; with SMTP: mailed, always 202 with the same body)",
       auth="public", body=MagicRequest, response=MagicRequested, status=201,
       extra_responses={202: MagicAccepted}, errors=(400, 403, 415, 429, 501), tags=("auth",))
async def magic_request(ctx: Ctx, body: MagicRequest) -> MagicRequested | tuple[
        MagicAccepted, int]:
    services = ctx.services
    if limits_exempt(ctx):  # dev bootstrap and a local request
        link, token = await services.store.create_magic_link(body.email, body.display_name)
        return MagicRequested(magic_link=link, token=token)
    if not services.mailer.enabled:
        if services.config.dev_bootstrap:
            raise Forbidden("dev magic links are answered only on loopback", code="not_loopback")
        raise NotImplementedHere("magic-link delivery is not configured")
    email = account_rules.normalize_email(body.email)
    if not valid_recipient(email):
        raise BadRequest("email is not a valid address", code="email_invalid")
    rate_limit(ctx, "magic_request_ip", client_ip(request.remote_addr, request.headers))
    rate_limit(ctx, "magic_request_email", email)
    # Known or not, the same work: a link row (consume creates the user on first use) and a
    # queued mail.  The mail is sent by the mailer task, off the request path.
    link, token = await services.store.create_magic_link(email, body.display_name)
    services.mailer.enqueue(magic_link_mail(
        to=email, url=f"{_link_base(ctx)}/login?magic_token={token}", token=token,
        link_id=link.id, ttl_minutes=max(1, round(account_rules.MAGIC_LINK_TTL_S / 60))))
    return MagicAccepted(ok=True, detail=MAIL_ACCEPTED), 202


@route("POST", "/api/auth/magic/consume", summary="Exchange a magic link for a session",
       auth="public", body=MagicConsume, response=SessionCreated, errors=(400, 403, 415, 429),
       tags=("auth",))
async def magic_consume(ctx: Ctx, body: MagicConsume) -> Response:
    _strict_json_same_origin(ctx)
    rate_limit(ctx, "magic_consume_ip", client_ip(request.remote_addr, request.headers))
    user, session = await ctx.services.store.consume_magic_link(body.token.strip())
    return _signed_in(user, session)


@route("POST", "/api/auth/logout", summary="Revoke the current session and clear the cookie "
       "(no body; a body, if sent, must be application/json)",
       auth="public", response=Ok, errors=(403, 415), tags=("auth",))
async def logout(ctx: Ctx) -> Response:
    _strict_json_same_origin(ctx, bodyless_ok=True)
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


# --- passwords (opt-in: --password-auth) --------------------------------------------------------

def _require_password_auth(ctx: Ctx) -> None:
    if not ctx.services.config.password_auth:
        raise NotFound("password sign-in is not enabled on this server",
                       code="password_auth_disabled")


@route("POST", "/api/auth/password/login", summary="Sign in with an email or handle and a "
       "password (opt-in: --password-auth; 404 when off)", auth="public", body=PasswordLogin,
       response=SessionCreated, errors=(400, 401, 403, 404, 415, 429), tags=("auth",))
async def password_login(ctx: Ctx, body: PasswordLogin) -> Response:
    _require_password_auth(ctx)
    _strict_json_same_origin(ctx)
    check_length(body.password, minimum=False)  # before anything costly
    identifier = account_rules.normalize_identifier(body.identifier)
    if not identifier:
        raise BadRequest("identifier (email or handle) is required", code="identifier_required")
    services = ctx.services
    rate_limit(ctx, "password_login_ip", client_ip(request.remote_addr, request.headers))
    # Failures per identifier: take a token now (so parallel guesses count too), give it back
    # if the password turns out right.
    rate_limit(ctx, "password_failures", identifier)
    found = services.store.login_candidate(identifier)
    # Unknown account, account without a password, wrong password: one derivation each, and
    # the same 401.
    ok = await services.passwords.verify(found[1] if found else None, body.password)
    if not ok or found is None:
        raise Unauthorized(LOGIN_FAILED, code="invalid_credentials")
    if not limits_exempt(ctx):
        services.limits.refund("password_failures", identifier)
    session = await services.store.create_session(found[0])
    return _signed_in(services.store.get_user(found[0]), session)


@route("POST", "/api/auth/password/change", summary="Set or change the caller's password; "
       "revokes the caller's other sessions (opt-in: --password-auth; 404 when off)",
       auth="human", body=PasswordChange, response=Ok,
       errors=(400, 401, 403, 404, 409, 415, 429), tags=("auth",))
async def password_change(ctx: Ctx, body: PasswordChange) -> Ok:
    _require_password_auth(ctx)
    _strict_json_same_origin(ctx)
    check_length(body.new_password, "new_password")
    if body.current_password is not None:
        check_length(body.current_password, "current_password", minimum=False)
    services = ctx.services
    me = ctx.me
    stored = services.store.password_hash(me.user_id)
    if stored is not None:
        if body.current_password is None:
            raise BadRequest("current_password is required to change a password",
                             code="current_password_required")
        rate_limit(ctx, "password_change_failures", me.user_id)
        if not await services.passwords.verify(stored, body.current_password):
            raise Forbidden("current password is incorrect", code="current_password_incorrect")
        if not limits_exempt(ctx):
            services.limits.refund("password_change_failures", me.user_id)
    new_hash = await services.passwords.hash(body.new_password)
    revoked = await services.store.set_password(me.user_id, new_hash, stored, me.session_id)
    for session_id in revoked:
        services.hub.close_credential(session_id, code=1008, reason="password changed")
    return Ok(ok=True)


# --- profile ---------------------------------------------------------------------------------

@route("GET", "/api/me", summary="The caller's profile", auth="user", scope="profile:read",
       response=MeProfile, errors=(401, 403), tags=("profile",))
async def me(ctx: Ctx) -> MeProfile:
    return MeProfile(user=ctx.services.store.get_profile(ctx.user_id))


@route("PATCH", "/api/me", summary="Update the caller's profile (people only; no event)",
       auth="human", body=PatchMe, response=MeProfile, errors=(400, 401, 403, 409, 415),
       tags=("profile",))
async def patch_me(ctx: Ctx, body: PatchMe) -> MeProfile:
    return MeProfile(user=await ctx.services.store.update_profile(ctx.user_id, body))
