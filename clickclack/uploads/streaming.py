"""Request bodies read as a stream (``POST /api/uploads``): bounded memory, whatever the size.

quart's own body object buffers everything the client sends until the handler reads it, with no
backpressure, and is capped at ``MAX_CONTENT_LENGTH`` (the 1 MiB JSON cap) from the moment the
request is created.  For the routes registered in :data:`STREAMED_ROUTES`:

* the request gets a :class:`StreamedBody` with the route's own cap, created before any byte is
  received (:class:`StreamingHTTPConnection`);
* the connection stops taking data from hypercorn while more than :data:`HIGH_WATER` bytes wait
  unread, so TCP flow control slows the client down instead of memory growing; what is in
  flight is bounded by that, hypercorn's queue (10 x 64 KiB) and the socket buffers;
* the body-drain hook in ``api/http.py`` skips these requests (the handler streams the body);
  after the handler, :func:`finish` discards what is left of the body -- bounded in bytes and
  time -- so an early answer (401, 404, a nonce replay, 413) does not stall a keep-alive
  connection (reliability.md 0.6).  A body too large to discard gets ``Connection: close``.
* Once the answer is being sent the body is *released*: further data is dropped unread, and
  the connection never waits for a handler that is gone.

:class:`MultipartReader` parses ``multipart/form-data`` incrementally over such a body with
werkzeug's sans-IO decoder, fed in small slices, so a part's data is handed on as it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import trio
from quart import Quart, Request, Response
from quart_trio.asgi import TrioASGIHTTPConnection
from quart_trio.wrappers.request import TrioBody
from werkzeug.exceptions import RequestEntityTooLarge, RequestTimeout
from werkzeug.sansio.multipart import Data, Epilogue, Event, Field, File, MultipartDecoder, NeedData

from clickclack.config import Config
from clickclack.errors import BadRequest

HIGH_WATER = 1024 * 1024  # unread bytes after which the connection stops taking more
FEED_SLICE = 64 * 1024  # bytes handed to the multipart decoder at a time
MAX_PART_HEADERS = 256 * 1024  # the decoder's own buffer (part headers) may not grow past this
MAX_PARTS = 16
DISCARD_BYTES = 8 * 1024 * 1024  # after an early answer, read and drop at most this much ...
DISCARD_S = 2.0  # ... for at most this long, else close the connection

# (method, path) -> the body cap for that route, from the configuration.  Route modules
# register themselves at import time.
STREAMED_ROUTES: dict[tuple[str, str], Callable[[Config], int]] = {}
_LIMITS_KEY = "CLICKCLACK_STREAMED_BODY_LIMITS"


class StreamedBody(TrioBody):
    """A request body with backpressure, for handlers that read it chunk by chunk."""

    def __init__(self, expected_content_length: int | None, limit: int) -> None:
        super().__init__(expected_content_length, limit)
        self.limit = limit
        self.released = False
        self._room = trio.Event()
        self._room.set()

    def append(self, data: bytes) -> None:
        if self.released:
            return  # nobody will read it any more
        super().append(data)

    async def __anext__(self) -> bytes:
        try:
            return await super().__anext__()
        finally:
            self._room.set()

    async def wait_room(self) -> None:
        """Block the connection's reader while too much is buffered (backpressure)."""
        while len(self._data) >= HIGH_WATER and not self.released:
            self._room = trio.Event()
            await self._room.wait()

    def release(self) -> None:
        """The handler is done with the body: drop what is buffered and anything later."""
        self.released = True
        self._data.clear()
        self._room.set()

    @property
    def complete(self) -> bool:
        return self._complete.is_set() and not self._data

    async def discard_rest(self, max_bytes: int = DISCARD_BYTES, max_s: float = DISCARD_S
                           ) -> bool:
        """Read and drop the rest of the body; True when all of it arrived in time."""
        if self.released or self._must_raise is not None:
            return self.complete and self._must_raise is None
        seen = 0
        with trio.move_on_after(max_s):
            try:
                async for chunk in self:
                    seen += len(chunk)
                    if seen > max_bytes:
                        return False
            except RequestEntityTooLarge:
                return False
            return True
        return False


class StreamingHTTPConnection(TrioASGIHTTPConnection):
    """quart-trio's HTTP connection, giving streamed routes a :class:`StreamedBody` and feeding
    it with backpressure.  Every other request is handled exactly as before."""

    _streamed: StreamedBody | None = None

    def _create_request_from_scope(self, send: Any) -> Request:
        request: Request = super()._create_request_from_scope(send)
        limits: dict[tuple[str, str], int] = self.app.config.get(_LIMITS_KEY) or {}
        limit = limits.get((request.method, request.path))
        if limit is not None:
            self._streamed = StreamedBody(request.content_length, limit)
            request.body = self._streamed
        return request

    async def handle_messages(  # type: ignore[override]
        self, nursery: trio.Nursery, request: Request, receive: Any
    ) -> None:
        body = self._streamed
        if body is None:
            await super().handle_messages(nursery, request, receive)
            return
        while True:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body.set_complete()
                await body.wait_room()
            elif message["type"] == "http.disconnect":
                break
        nursery.cancel_scope.cancel()

    async def _send_response(self, send: Any, response: Any) -> None:
        if self._streamed is not None:
            self._streamed.release()  # never wait for a handler that has answered
        await super()._send_response(send, response)


def install(app: Quart, config: Config) -> None:
    """Use :class:`StreamingHTTPConnection` for ``app`` with the configured route caps."""
    app.config[_LIMITS_KEY] = {route: cap(config) for route, cap in STREAMED_ROUTES.items()}
    app.asgi_http_class = StreamingHTTPConnection


def streamed_body(request: Request) -> StreamedBody | None:
    body = request.body
    return body if isinstance(body, StreamedBody) else None


async def finish(request: Request, response: Response) -> None:
    """After the handler of a streamed route: discard the unread rest of the body (bounded), or
    close the connection when that is not possible."""
    body = streamed_body(request)
    if body is None:
        return
    if not body.complete and not await body.discard_rest():
        response.headers["Connection"] = "close"
    body.release()


class MultipartReader:
    """Incremental ``multipart/form-data`` over a :class:`StreamedBody`.

    :meth:`next_event` returns werkzeug's events (``Field``, ``File``, ``Data``, ``Epilogue``)
    and None after the epilogue.  Each wait for the client is limited to ``idle_s`` and the
    whole body to ``deadline`` (trio time): 408 after that.  A malformed body is a 400."""

    def __init__(self, body: StreamedBody, boundary: bytes, *, idle_s: float,
                 deadline: float) -> None:
        self._body = body
        self._decoder = MultipartDecoder(boundary, max_form_memory_size=MAX_PART_HEADERS,
                                         max_parts=MAX_PARTS)
        self._idle_s = idle_s
        self._deadline = deadline
        self._pending = memoryview(b"")
        self._eof = False
        self._done = False
        self.received = 0  # body bytes read so far

    async def next_event(self) -> Event | None:
        while not self._done:
            try:
                event = self._decoder.next_event()
            except ValueError as exc:  # includes UnicodeDecodeError in part headers
                raise BadRequest("malformed multipart/form-data body",
                                 code="multipart_invalid") from exc
            except RequestEntityTooLarge as exc:
                raise BadRequest("too many parts, or part headers too large",
                                 code="multipart_invalid") from exc
            if isinstance(event, Epilogue):
                self._done = True
                return event
            if not isinstance(event, NeedData):
                return event
            await self._feed()
        return None

    async def _feed(self) -> None:
        if not self._pending:
            if self._eof:
                raise BadRequest("the multipart body ended early", code="multipart_invalid")
            chunk = await self._read()
            if chunk is None:
                self._eof = True
                self._feed_decoder(None)
                return
            self._pending = memoryview(chunk)
        piece, self._pending = self._pending[:FEED_SLICE], self._pending[FEED_SLICE:]
        self._feed_decoder(bytes(piece))

    def _feed_decoder(self, data: bytes | None) -> None:
        try:
            self._decoder.receive_data(data)
        except RequestEntityTooLarge as exc:
            raise BadRequest("part headers too large", code="multipart_invalid") from exc

    async def _read(self) -> bytes | None:
        timeout = min(self._idle_s, self._deadline - trio.current_time())
        chunk: bytes | None = None
        with trio.move_on_after(max(0.0, timeout)) as scope:
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                return None
        if scope.cancelled_caught:
            raise RequestTimeout("the upload body stopped arriving in time")
        assert chunk is not None
        self.received += len(chunk)
        return chunk


__all__ = [
    "STREAMED_ROUTES",
    "Data",
    "Epilogue",
    "Field",
    "File",
    "MultipartReader",
    "StreamedBody",
    "StreamingHTTPConnection",
    "finish",
    "install",
    "streamed_body",
]
