"""Request plumbing shared by every route: the per-route wrapper (auth, body, query), response
encoding, correlation ids, the body drain, metrics and the access log.

The body drain (reliability.md 0.6): quart-trio stalls a keep-alive connection when a handler
answers before the request body has arrived.  So every request with a body has it read (bounded
by ``max_json_bytes`` and ``body_timeout_s``) *before* routing and auth run -- except on routes
that stream their own (large) body, ``POST /api/uploads``: see ``clickclack/uploads/streaming.py``
(backpressure, their own cap, and the unread rest discarded after the answer).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from quart import Quart, Response, g, request

from clickclack.actor import Actor
from clickclack.api import auth
from clickclack.api.routing import ROUTES, ExceptConverter, QueryParam, RouteSpec
from clickclack.errors import (
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from clickclack.services import Services
from clickclack.uploads import streaming

LOGGER = logging.getLogger("clickclack.access")
_encoder = msgspec.json.Encoder()
_CORR_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_EXCEPT_RE = re.compile(r"<except\([^)]*\):(\w+)>")  # metrics/log label: the plain pattern


@dataclass(slots=True)
class Ctx:
    """What a handler gets: the services, the caller (for auth="user" routes) and the query."""

    services: Services
    actor: Actor | None
    query: dict[str, Any]

    @property
    def me(self) -> Actor:
        """The caller, on routes that require authentication."""
        assert self.actor is not None
        return self.actor

    @property
    def user_id(self) -> str:
        return self.me.user_id

    @property
    def correlation_id(self) -> str:
        return str(g.correlation_id)


def rate_limit(ctx: Ctx, name: str, key: str) -> None:
    """Count one event against limit ``name`` (see ``clickclack.ratelimit.LIMITS``) for
    ``key``; RateLimited (429 + Retry-After) when over.  Local requests to a dev-bootstrap
    server are exempt: dev sign-in already trusts them with any account."""
    if not limits_exempt(ctx):
        ctx.services.limits.hit(name, key)


def limits_exempt(ctx: Ctx) -> bool:
    """A local request to a dev-bootstrap server."""
    return ctx.services.config.dev_bootstrap and auth.is_local(request.remote_addr,
                                                               request.headers)


def encode(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = Response(_encoder.encode(value) + b"\n", status=status,
                    content_type="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _parse_query(params: tuple[QueryParam, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    args = request.args
    for p in params:
        if p.location != "query":
            continue
        raw = args.get(p.name)
        if raw is None:
            if p.required and not p.handler_checks_absence:
                raise ValidationFailed(f"query parameter {p.name} is required",
                                       [{"loc": ["query", p.name], "msg": "required"}])
            out[p.name] = p.schema.get("default")
            continue
        kind = p.schema.get("type")
        if kind == "integer":
            lo, hi = int(p.schema["minimum"]), int(p.schema["maximum"])
            if not re.fullmatch(r"-?\d{1,19}", raw) or not (lo <= int(raw) <= hi):
                raise ValidationFailed(
                    f"query parameter {p.name} must be an integer from {lo} to {hi}",
                    [{"loc": ["query", p.name], "msg": f"integer in [{lo}, {hi}]"}])
            out[p.name] = int(raw)
        elif kind == "boolean":
            if raw not in ("true", "false"):
                raise ValidationFailed(f"query parameter {p.name} must be true or false",
                                       [{"loc": ["query", p.name], "msg": "true or false"}])
            out[p.name] = raw == "true"
        else:
            if len(raw) > p.schema.get("maxLength", 200):
                raise ValidationFailed(f"query parameter {p.name} is too long",
                                       [{"loc": ["query", p.name], "msg": "too long"}])
            if len(raw) < p.schema.get("minLength", 0):
                raise ValidationFailed(f"query parameter {p.name} is too short",
                                       [{"loc": ["query", p.name], "msg": "too short"}])
            if "pattern" in p.schema and not re.search(p.schema["pattern"], raw):
                raise ValidationFailed(f"query parameter {p.name} is malformed",
                                       [{"loc": ["query", p.name],
                                         "msg": f"must match {p.schema['pattern']}"}])
            if "enum" in p.schema and raw not in p.schema["enum"]:
                allowed = ", ".join(p.schema["enum"])
                raise ValidationFailed(f"query parameter {p.name} must be one of {allowed}",
                                       [{"loc": ["query", p.name], "msg": f"one of {allowed}"}])
            out[p.name] = raw
    return out


_INT_LIMIT = 2**63
_INT_GOT_FLOAT = re.compile(r"Expected `int[^`]*`, got `float`")


def _integral_floats_to_int(value: Any) -> Any:
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < _INT_LIMIT else value
    if isinstance(value, list):
        return [_integral_floats_to_int(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_to_int(v) for k, v in value.items()}
    return value


async def _decode_body(body_type: type) -> Any:
    ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise UnsupportedMediaType("request body must be application/json",
                                   code="json_content_type_required")
    data = await request.get_data(cache=True)
    try:
        try:
            return msgspec.json.decode(data, type=body_type)
        except msgspec.ValidationError as exc:
            if not _INT_GOT_FLOAT.search(str(exc)):
                raise
            # JSON Schema's "integer" is any number with a zero fractional part, so 7.6e8 and
            # 3.0 are integers as the description states them; msgspec's strict decoding only
            # takes integer literals.  Retry with integral floats turned into ints (still strict
            # otherwise: "5" stays a string and is refused).
            return msgspec.convert(_integral_floats_to_int(msgspec.json.decode(data)),
                                   type=body_type)
    except msgspec.ValidationError as exc:
        text = str(exc)
        loc = text.rsplit(" - at `", 1)[-1].rstrip("`") if " - at `" in text else "$"
        raise ValidationFailed(text, [{"loc": ["body", loc], "msg": text.split(" - at")[0]}]
                               ) from exc
    except msgspec.DecodeError as exc:
        raise BadRequest(f"request body is not a single valid JSON value: {exc}",
                         code="invalid_json") from exc


def _make_view(spec: RouteSpec, services: Services) -> Callable[..., Awaitable[Response]]:
    async def view(**path: str) -> Response:
        actor = None
        if spec.auth != "public":
            actor = auth.resolve(services, request.method, request.remote_addr, request.headers)
            auth.authorize(actor, spec.auth, spec.scope)
        ctx = Ctx(services, actor, _parse_query(spec.query) if spec.query else {})
        args: list[Any] = [ctx]
        if spec.body is not None:
            args.append(await _decode_body(spec.body))
        result = await spec.handler(*args, **path)
        if isinstance(result, Response):
            return result
        if isinstance(result, tuple):
            value, status = result
            return encode(value, status)
        return encode(result, spec.status)

    view.__name__ = f"{spec.method.lower()}_{spec.handler.__name__}"
    return view


def register_routes(app: Quart, services: Services) -> None:
    app.url_map.converters["except"] = ExceptConverter
    for spec in ROUTES:
        if spec.enabled is not None and not spec.enabled(services.config):
            continue
        app.add_url_rule(spec.quart_path_among(ROUTES), endpoint=f"{spec.method} {spec.path}",
                         view_func=_make_view(spec, services), methods=[spec.method])


class Metrics:
    """Prometheus counters (contract section 3), labelled by method, route pattern and status
    class only."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.duration_sum: dict[tuple[str, str], float] = defaultdict(float)
        self.duration_count: dict[tuple[str, str], int] = defaultdict(int)


def install_hooks(app: Quart, services: Services, metrics: Metrics) -> None:
    config = services.config
    log_mode = config.access_log
    streaming.install(app, config)

    @app.before_request
    async def _start() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Correlation-ID", "")
        g.correlation_id = incoming if _CORR_RE.match(incoming) else "corr_" + secrets.token_hex(16)
        if streaming.streamed_body(request) is not None:
            return  # the handler streams the body itself, under the route's own cap
        length = request.content_length
        if length is not None and length > config.max_json_bytes:
            g.close_connection = True
            raise PayloadTooLarge(f"request body must be at most {config.max_json_bytes} bytes",
                                  limit=config.max_json_bytes)
        if length or request.headers.get("Transfer-Encoding"):
            # Drain first (see module docstring).  get_data enforces MAX_CONTENT_LENGTH (413)
            # and BODY_TIMEOUT (408) itself.
            await request.get_data(cache=True)

    @app.after_request
    async def _finish(resp: Response) -> Response:
        await streaming.finish(request, resp)  # streamed bodies: drop the unread rest
        resp.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if g.get("close_connection"):
            resp.headers["Connection"] = "close"
        rule = (_EXCEPT_RE.sub(r"<\1>", request.url_rule.rule) if request.url_rule is not None
                else "unmatched")
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        if config.metrics_enabled:
            metrics.requests[(request.method, rule, f"{resp.status_code // 100}xx")] += 1
            metrics.duration_sum[(request.method, rule)] += elapsed
            metrics.duration_count[(request.method, rule)] += 1
        if log_mode == "all" or (log_mode == "errors" and resp.status_code >= 500):
            LOGGER.info("%s %s %d %.1fms %s", request.method, rule, resp.status_code,
                        elapsed * 1000, g.get("correlation_id", ""))
        return resp
