"""The route table: every HTTP route declares its method, path, auth requirement, body type,
response type, status and query parameters in one decorator.  The same declarations register
the Quart routes and generate the OpenAPI description, so the description cannot leave a route
out, and a route cannot forget to say what auth it needs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from werkzeug.routing import BaseConverter, Map

# public: no caller needed.  user: any signed-in caller; a bot token also needs ``scope``.
# human: people only (a bot token gets 403 human_only).
Auth = Literal["public", "user", "human"]


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    schema: dict[str, Any]
    required: bool = False
    description: str = ""
    # Described as required, but its absence is left to the handler, which accepts an older
    # alternative (POST /api/uploads: a workspace_id form field before the file).
    handler_checks_absence: bool = False
    location: Literal["query", "header"] = "query"  # headers are described, not parsed


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    path: str  # OpenAPI style: /api/channels/{channel_id}/messages
    handler: Callable[..., Awaitable[Any]]
    summary: str
    auth: Auth
    response: type | None
    scope: str | None = None  # what a bot token needs (auth="user")
    status: int = 200
    body: type | None = None
    query: tuple[QueryParam, ...] = ()
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    extra_responses: dict[int, type | None] = field(default_factory=dict)
    content_type: str = "application/json"
    enabled: Callable[[Any], bool] | None = None  # config -> bool, for opt-in routes
    # Groups of query parameters of which at most one may be given (400 otherwise).  OpenAPI
    # 3.1 cannot say this of separate query parameters, so the description states it twice:
    # in each parameter's text and as ``x-clickclack-exclusive-query`` on the operation.
    exclusive: tuple[tuple[str, ...], ...] = ()
    # A multipart/form-data request body (JSON Schema of its parts), for routes that read
    # their own body (uploads); ``body`` is for JSON bodies.
    form: dict[str, Any] | None = None
    # Path parameters whose schema is not the default (a 1-64 character string).
    path_schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def quart_path(self) -> str:
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    def quart_path_among(self, routes: list[RouteSpec]) -> str:
        """The Quart rule, with each path parameter kept from matching a literal segment that a
        sibling route has in its place (``/api/messages/{message_id}`` never matches
        ``/api/messages/by-nonce``), so a literal path's ``Allow`` lists only its own methods."""
        segs = self.path.split("/")
        out = []
        for i, seg in enumerate(segs):
            m = re.fullmatch(r"\{(\w+)\}", seg)
            if m is None:
                out.append(seg)
                continue
            literals = sorted({
                other[i] for other in (r.path.split("/") for r in routes)
                if len(other) == len(segs) and not other[i].startswith("{")
                and all(j == i or a == b or a.startswith("{") or b.startswith("{")
                        for j, (a, b) in enumerate(zip(segs, other, strict=True)))})
            if literals:
                out.append(f"<except({', '.join(repr(x) for x in literals)}):{m.group(1)}>")
            else:
                out.append(f"<{m.group(1)}>")
        return "/".join(out)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


ROUTES: list[RouteSpec] = []


class ExceptConverter(BaseConverter):
    """A path segment that is not one of the given literals (see ``quart_path_among``)."""

    part_isolating = True

    def __init__(self, url_map: Map, *excluded: str) -> None:
        super().__init__(url_map)
        self.regex = "(?!(?:" + "|".join(re.escape(e) for e in excluded) + r")$)[^/]+"


def route(
    method: str,
    path: str,
    *,
    summary: str,
    auth: Auth,
    response: type | None,
    scope: str | None = None,
    status: int = 200,
    body: type | None = None,
    query: tuple[QueryParam, ...] = (),
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    extra_responses: dict[int, type | None] | None = None,
    content_type: str = "application/json",
    enabled: Callable[[Any], bool] | None = None,
    exclusive: tuple[tuple[str, ...], ...] = (),
    form: dict[str, Any] | None = None,
    path_schemas: dict[str, dict[str, Any]] | None = None,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    if auth == "user" and scope is None:
        raise ValueError(f"{method} {path}: routes open to bots must name the scope they need")
    if auth != "user" and scope is not None:
        raise ValueError(f"{method} {path}: only auth='user' routes take a scope")

    def deco(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        ROUTES.append(RouteSpec(
            method=method, path=path, handler=fn, summary=summary, auth=auth, response=response,
            scope=scope, status=status, body=body, query=query, errors=errors, tags=tags,
            extra_responses=extra_responses or {}, content_type=content_type, enabled=enabled,
            exclusive=exclusive, form=form, path_schemas=path_schemas or {},
        ))
        return fn
    return deco


def int_param(name: str, lo: int, hi: int, default: int | None = None, desc: str = ""
              ) -> QueryParam:
    schema: dict[str, Any] = {"type": "integer", "minimum": lo, "maximum": hi}
    if default is not None:
        schema["default"] = default
    return QueryParam(name, schema, False, desc)


# Nonces (and search queries) are free text without NUL (clickclack.store.conversation.clean_nonce
# and the query parser enforce it; declared so the description states the bound, issue 9).
NONCE_PATTERN = r"^[^\x00]*$"


def str_param(name: str, *, required: bool = False, max_length: int = 200, desc: str = "",
              pattern: str | None = None, min_length: int = 0) -> QueryParam:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if min_length:
        schema["minLength"] = min_length
    if pattern:
        schema["pattern"] = pattern
    return QueryParam(name, schema, required, desc)
