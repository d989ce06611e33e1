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

# public: no caller needed.  user: any signed-in caller; a bot token also needs ``scope``.
# human: people only (a bot token gets 403 human_only).
Auth = Literal["public", "user", "human"]


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


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

    @property
    def quart_path(self) -> str:
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


ROUTES: list[RouteSpec] = []


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
        ))
        return fn
    return deco


def int_param(name: str, lo: int, hi: int, default: int | None = None, desc: str = ""
              ) -> QueryParam:
    schema: dict[str, Any] = {"type": "integer", "minimum": lo, "maximum": hi}
    if default is not None:
        schema["default"] = default
    return QueryParam(name, schema, False, desc)


# Nonces are free text without NUL (clickclack.store.conversation.clean_nonce enforces it;
# declared here so the description states the bound, issue 9).
NONCE_PATTERN = r"^[^\x00]*$"


def str_param(name: str, *, required: bool = False, max_length: int = 200, desc: str = "",
              pattern: str | None = None) -> QueryParam:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if pattern:
        schema["pattern"] = pattern
    return QueryParam(name, schema, required, desc)
