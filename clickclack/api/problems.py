"""The one place where errors become responses: RFC 9457 ``application/problem+json`` (D1).

Every error -- our own ``ClickclackError``s, Quart/werkzeug HTTP errors (404, 405, 413, 415 ...)
and unexpected exceptions (500, logged, never leaking a trace or SQL) -- goes through
:func:`problem_response`.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from quart import Quart, Response, g
from werkzeug.exceptions import HTTPException

from clickclack.errors import ClickclackError, RateLimited

LOGGER = logging.getLogger("clickclack.api")
PROBLEM_TYPE = "https://clickclack.chat/problems/"
_encoder = msgspec.json.Encoder()

# Stable codes for HTTP errors raised by the framework itself.
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    431: "headers_too_large",
}


def problem_body(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "error": detail,  # upstream clients read {"error": "..."}
    }
    corr = getattr(g, "correlation_id", None)
    if corr:
        body["correlation_id"] = corr
    for key, value in extra.items():
        if value is not None:
            body[key] = value
    return body


def problem_response(status: int, code: str, title: str, detail: str,
                     headers: dict[str, str] | None = None, **extra: Any) -> Response:
    resp = Response(
        _encoder.encode(problem_body(status, code, title, detail, **extra)) + b"\n",
        status=status,
        content_type="application/problem+json",
    )
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def from_error(exc: ClickclackError) -> Response:
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return problem_response(exc.status, exc.code, exc.title, exc.detail, headers, **exc.extra)


def install(app: Quart) -> None:
    @app.errorhandler(ClickclackError)
    async def _domain(exc: ClickclackError) -> Response:
        return from_error(exc)

    @app.errorhandler(HTTPException)
    async def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = _HTTP_CODES.get(status, f"http_{status}")
        detail = {
            404: "no such route",
            405: "method not allowed for this route",
            413: "request body is too large",
        }.get(status, exc.description or exc.name)
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return problem_response(status, code, exc.name, detail, headers)

    @app.errorhandler(Exception)
    async def _unexpected(exc: Exception) -> Response:
        LOGGER.exception("unhandled error: %r", exc)
        return problem_response(500, "internal_error", "Internal Server Error",
                                "an unexpected error occurred; it has been logged")
