"""The one exception tree.  Handlers and the store *raise*; only ``api/problems.py`` turns these
into RFC 9457 ``application/problem+json`` responses, and the CLI into exit codes.

::

    ClickclackError                      status  code
    ├── BadRequest                       400     bad_request (or a more specific code)
    │   └── ValidationFailed             400     validation_failed   (+ errors: [{loc, msg}])
    ├── Unauthorized                     401     unauthorized
    ├── Forbidden                        403     forbidden
    ├── NotFound                         404     not_found
    ├── MethodNotAllowed                 405     method_not_allowed
    ├── Conflict                         409     conflict
    ├── PayloadTooLarge                  413     payload_too_large
    ├── UnsupportedMediaType             415     unsupported_media_type
    ├── RateLimited                      429     rate_limited        (+ Retry-After)
    ├── Unavailable                      503     unavailable
    │   └── WriterClosed                 503     shutting_down
    ├── InsufficientStorage              507     insufficient_storage
    └── ConfigError                      (start-up only; never reaches HTTP)

No HTTP objects live here, so the store and the CLI can raise these freely.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ClickclackError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra: Any):
        self.detail = detail or self.title
        if code is not None:
            self.code = code  # type: ignore[misc]  # instance override of the class default
        self.extra = extra
        super().__init__(self.detail)


class BadRequest(ClickclackError):
    status = 400
    code = "bad_request"
    title = "Bad Request"


class ValidationFailed(BadRequest):
    code = "validation_failed"
    title = "Request validation failed"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, **kw: Any):
        super().__init__(detail, errors=errors or [], **kw)


class Unauthorized(ClickclackError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(ClickclackError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(ClickclackError):
    status = 404
    code = "not_found"
    title = "Not Found"


class MethodNotAllowed(ClickclackError):
    status = 405
    code = "method_not_allowed"
    title = "Method Not Allowed"


class Conflict(ClickclackError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(ClickclackError):
    status = 413
    code = "payload_too_large"
    title = "Payload Too Large"


class UnsupportedMediaType(ClickclackError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported Media Type"


class RateLimited(ClickclackError):
    status = 429
    code = "rate_limited"
    title = "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int, **kw: Any):
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class Unavailable(ClickclackError):
    status = 503
    code = "unavailable"
    title = "Service Unavailable"


class WriterClosed(Unavailable):
    code = "shutting_down"
    title = "Server is shutting down"


class InsufficientStorage(ClickclackError):
    status = 507
    code = "insufficient_storage"
    title = "Insufficient Storage"


class ConfigError(Exception):
    """Bad configuration, found at start-up."""
