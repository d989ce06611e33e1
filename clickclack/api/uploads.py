"""Uploads over HTTP (contract 16, reliability.md D2/D7/D11/A4/C4).

``POST /api/uploads`` streams ``multipart/form-data`` to a temp file (never the whole body in
memory; see ``clickclack/uploads/streaming.py``), under the upload cap (413, nothing left
behind) and the quota (reserved before the first byte is stored, so parallel uploads cannot
pass it).  The type is sniffed from the bytes; raster images are checked against the pixel cap
and get a thumbnail, in a worker thread.  The file is fsync-ed and renamed into place before its
row is written through the single writer; if that write fails, the file is removed.

Downloads check visibility on every request (404 otherwise) and carry ``nosniff``, a sandbox
CSP and an RFC 6266/5987 ``Content-Disposition`` (inline only for safe types).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import trio
from quart import Response, g, request
from quart_trio.wrappers.response import TrioFileBody
from werkzeug.http import parse_options_header

from clickclack.api.http import Ctx, encode
from clickclack.api.routing import NONCE_PATTERN, QueryParam, route, str_param
from clickclack.errors import (
    BadRequest,
    ClickclackError,
    Forbidden,
    InsufficientStorage,
    NotFound,
    PayloadTooLarge,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from clickclack.services import Services
from clickclack.store.messages import clean_nonce
from clickclack.store.uploads import RESERVATION_TTL_S, NewUpload
from clickclack.types import Ok
from clickclack.types.core import WS
from clickclack.types.uploads import AttachIn, Upload, UploadOut
from clickclack.uploads import images, sniff, streaming
from clickclack.uploads.storage import THUMB_SUFFIX, TempFile, is_disk_full

LOGGER = logging.getLogger("clickclack.uploads")
MULTIPART_OVERHEAD = 64 * 1024  # part headers, boundaries and form fields around the file
MAX_FIELD_BYTES = 1024  # non-file form values are truncated to this (contract 16)
WRITE_CHUNK = 256 * 1024  # file data is written in pieces of about this size
UPLOAD_DEADLINE_S = RESERVATION_TTL_S - 60  # the whole body must arrive within this
SERVE_CHUNK = 256 * 1024
_NONCE_HEADER = {"X-ClickClack-Upload-Nonce": "supported"}
FORM_FIELDS = frozenset({"workspace_id", "width", "height", "duration_ms"})  # besides file
_DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, no-cache",  # revalidated (ETag): access is checked every time
}

streaming.STREAMED_ROUTES[("POST", "/api/uploads")] = \
    lambda config: config.upload_max_bytes + MULTIPART_OVERHEAD


# The parts the description declares.  ``workspace_id`` may also come as a form field before
# the file (see the query parameter); non-file values are read as text, trimmed, at most
# MAX_FIELD_BYTES each.
_DIMENSION = {"type": "string", "pattern": f"^{WS}*[0-9]{{0,12}}{WS}*$",
              "description": "a non-negative integer (blank: unknown)"}
_FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "the file (one part)"},
        "width": _DIMENSION,
        "height": _DIMENSION,
        "duration_ms": _DIMENSION,
    },
}


@route("POST", "/api/uploads", summary="Upload a file: multipart/form-data with exactly one "
       "`file` part, and `workspace_id` in the query (or as a form field before it). Streamed "
       "to disk; at most 64 MiB; the type is sniffed from the bytes. `nonce` (query, with "
       "workspace_id) makes it idempotent: a replay answers 200 without reading the body",
       auth="user", scope="uploads:write", response=UploadOut, status=201,
       extra_responses={200: UploadOut},
       query=(QueryParam("workspace_id", {"type": "string", "minLength": 1, "maxLength": 64},
                         required=True,
                         description="the workspace. (Older clients may instead send a "
                         "workspace_id form field before the file; when both are given they "
                         "must be equal.)", handler_checks_absence=True),
              str_param("nonce", max_length=128, pattern=NONCE_PATTERN)),
       form=_FORM,
       errors=(400, 401, 403, 404, 408, 409, 413, 415, 507), tags=("uploads",))
async def create_upload(ctx: Ctx) -> Response:
    body = streaming.streamed_body(request)
    assert body is not None, "POST /api/uploads must be a streamed route"
    store = ctx.services.store
    workspace_id = ctx.query["workspace_id"] or ""
    nonce = clean_nonce(ctx.query["nonce"] or "")
    if nonce and not workspace_id:
        raise ValidationFailed("nonce needs workspace_id in the query",
                               [{"loc": ["query", "workspace_id"], "msg": "required with nonce"}])
    if workspace_id:
        store.check_uploader(ctx.me, workspace_id)  # 404 / 403 before anything is read
        replay = store.upload_nonce_replay(ctx.me, workspace_id, nonce)
        if replay is not None:
            return encode(UploadOut(upload=replay), 200, _NONCE_HEADER)
    mimetype, params = parse_options_header(request.headers.get("Content-Type"))
    boundary = params.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary or len(boundary) > 200:
        if not workspace_id:  # nothing names a workspace the caller may upload into
            raise NotFound("workspace not found (give workspace_id in the query, or as a form "
                           "field before the file)", code="workspace_not_found")
        raise UnsupportedMediaType("uploads are multipart/form-data with a boundary",
                                   code="multipart_required")
    length = request.content_length
    if length is not None and length > body.limit:
        g.close_connection = True
        raise _too_large(ctx.services)
    try:
        upload, created = await _Receiver(ctx, body, boundary.encode("latin-1"), workspace_id,
                                          nonce).run()
    except OSError as exc:  # the temp file is gone already (see _Receiver.run)
        if is_disk_full(exc):  # ENOSPC / EDQUOT (reliability.md A4)
            raise InsufficientStorage("the server is out of disk space; the upload was not "
                                      "saved", code="insufficient_storage") from exc
        LOGGER.error("upload storage failed: %r", exc)
        raise Unavailable("upload storage is unavailable; the upload was not saved",
                          code="storage_unavailable") from exc
    return encode(UploadOut(upload=upload), 201 if created else 200, _NONCE_HEADER)


def _too_large(services: Services) -> PayloadTooLarge:
    cap = services.config.upload_max_bytes
    return PayloadTooLarge(f"an upload may be at most {cap} bytes", code="upload_too_large",
                           limit=cap)


@dataclass
class _Receiver:
    """One upload being received: the multipart events in, a stored file and a row out.
    Whatever happens, nothing is left behind but a complete file with its row."""

    ctx: Ctx
    body: streaming.StreamedBody
    boundary: bytes
    query_workspace: str
    nonce: str
    fields: dict[str, bytearray] = field(default_factory=dict)
    temp: TempFile | None = None
    thumb_key: str | None = None
    reservation: str | None = None
    head: bytearray = field(default_factory=bytearray)
    pending: bytearray = field(default_factory=bytearray)
    size: int = 0

    async def run(self) -> tuple[Upload, bool]:
        services = self.ctx.services
        try:
            filename, workspace_id = await self._read_parts()
            result = await self._store(filename, workspace_id)
        except BaseException:
            self._discard()
            raise
        finally:
            if self.reservation is not None:
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    try:
                        await services.store.release_upload_reservation(self.reservation)
                    except ClickclackError:
                        pass  # it expires by itself after 15 minutes
        return result

    def _discard(self) -> None:
        if self.temp is not None:
            self.temp.discard()
        if self.thumb_key is not None:
            storage = self.ctx.services.uploads.storage
            storage.remove([self.thumb_key])
            (storage.tmp / f"{self.thumb_key}.part").unlink(missing_ok=True)

    async def _read_parts(self) -> tuple[str, str]:
        config = self.ctx.services.config
        reader = streaming.MultipartReader(
            self.body, self.boundary, idle_s=config.body_timeout_s,
            deadline=trio.current_time() + UPLOAD_DEADLINE_S)
        current: bytearray | None = None  # the form field being read
        in_file = False
        filename = ""
        workspace_id = ""
        while (event := await reader.next_event()) is not None:
            if isinstance(event, streaming.File):
                if self.temp is not None or event.name != "file":
                    raise BadRequest("send exactly one file, in a part named file",
                                     code="upload_file_invalid")
                workspace_id = await self._begin_file()
                filename = sniff.clean_filename(event.filename)
                in_file, current = True, None
            elif isinstance(event, streaming.Field):
                in_file = False
                name = event.name or ""  # a part without a usable name: ignored
                if name not in FORM_FIELDS:
                    current = None  # unknown fields are ignored, as in JSON bodies
                elif name in self.fields:
                    raise BadRequest(f"form field {name} is given more than once",
                                     code="form_field_repeated")
                else:
                    current = self.fields[name] = bytearray()
            elif isinstance(event, streaming.Data):
                if in_file:
                    await self._file_data(event.data, more=event.more_data)
                    in_file = event.more_data
                elif current is not None:
                    current += event.data[: max(0, MAX_FIELD_BYTES - len(current))]
        if self.temp is None:
            raise BadRequest("a file part named file is required", code="upload_file_required")
        if self._field("workspace_id") not in ("", workspace_id):
            raise BadRequest("the workspace_id form field differs from the one used",
                             code="workspace_id_mismatch")
        return filename, workspace_id

    def _field(self, name: str) -> str:
        raw = self.fields.get(name)
        if raw is None:
            return ""
        try:
            return bytes(raw).decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise ValidationFailed(f"form field {name} is not UTF-8",
                                   [{"loc": ["form", name], "msg": "not UTF-8"}]) from exc

    def _int_field(self, name: str) -> int:
        text = self._field(name)
        if not text:
            return 0
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise ValidationFailed(f"form field {name} must be a non-negative integer",
                                   [{"loc": ["form", name], "msg": "integer >= 0"}])
        return int(text)

    async def _begin_file(self) -> str:
        """The file part starts: settle the workspace, check access, reserve quota."""
        services, me = self.ctx.services, self.ctx.me
        form_ws = self._field("workspace_id")
        if self.query_workspace and form_ws and form_ws != self.query_workspace:
            raise BadRequest("workspace_id in the form differs from the query",
                             code="workspace_id_mismatch")
        workspace_id = self.query_workspace or form_ws
        if not workspace_id:
            raise BadRequest("workspace_id must come before the file (or in the query)",
                             code="workspace_id_after_file")
        if not self.query_workspace:
            services.store.check_uploader(me, workspace_id)
        config = services.config
        length = request.content_length
        estimate = min(length, config.upload_max_bytes) if length else config.upload_max_bytes
        self.reservation = await services.store.reserve_upload(
            me, workspace_id, self.nonce, estimate, config.upload_quota_bytes,
            config.upload_quota_files)
        temp = TempFile(services.uploads.storage)
        await temp.__aenter__()
        self.temp = temp
        return workspace_id

    async def _file_data(self, data: bytes, *, more: bool) -> None:
        assert self.temp is not None
        self.size += len(data)
        if self.size > self.ctx.services.config.upload_max_bytes:
            raise _too_large(self.ctx.services)
        if len(self.head) < sniff.SNIFF_BYTES:
            self.head += data[: sniff.SNIFF_BYTES - len(self.head)]
        self.pending += data
        if len(self.pending) >= WRITE_CHUNK or (not more and self.pending):
            await self.temp.write(self.pending)
            self.pending = bytearray()

    async def _store(self, filename: str, workspace_id: str) -> tuple[Upload, bool]:
        services, me = self.ctx.services, self.ctx.me
        assert self.temp is not None
        if self.pending:
            await self.temp.write(self.pending)
            self.pending = bytearray()
        width, height = self._int_field("width"), self._int_field("height")
        duration_ms = self._int_field("duration_ms")
        content_type = sniff.sniff(bytes(self.head), self.size)
        key = await self.temp.commit()
        thumbnail: str | None = None
        if images.is_raster(content_type):
            storage = services.uploads.storage
            self.thumb_key = key + THUMB_SUFFIX
            try:
                info = await trio.to_thread.run_sync(
                    images.process, storage.path(key), content_type,
                    storage.tmp / f"{self.thumb_key}.part", storage.path(self.thumb_key),
                    limiter=services.uploads.thumbnails)
            except images.ImageTooLarge as exc:
                raise PayloadTooLarge(str(exc), code="image_too_large",
                                      limit=images.MAX_PIXELS) from exc
            if info.width:
                width, height = info.width, info.height
            thumbnail = self.thumb_key if info.thumbnail else None
        new = NewUpload(
            workspace_id=workspace_id, nonce=self.nonce, filename=filename,
            content_type=content_type, byte_size=self.size, storage_path=key,
            thumbnail_path=thumbnail, width=width, height=height, duration_ms=duration_ms)
        config = services.config
        assert self.reservation is not None
        upload, created = await services.store.record_upload(
            me, self.reservation, new, config.upload_quota_bytes, config.upload_quota_files)
        self.reservation = None  # consumed by the same transaction
        if not created:  # a parallel request with the same nonce won: keep its file
            self._discard()
        return upload, created


@route("GET", "/api/uploads/by-nonce", summary="Your upload with a client nonce", auth="user",
       scope="uploads:write", response=UploadOut, errors=(400, 401, 404, 409),
       tags=("uploads",), query=(str_param("workspace_id", required=True, max_length=64),
                                 str_param("nonce", required=True, max_length=128,
                                           pattern=NONCE_PATTERN)))
async def upload_by_nonce(ctx: Ctx) -> Response:
    upload = ctx.services.store.upload_by_nonce(ctx.me, ctx.query["workspace_id"],
                                                clean_nonce(ctx.query["nonce"]))
    return encode(UploadOut(upload=upload), headers=_NONCE_HEADER)


async def _serve(key: str, content_type: str, disposition: str | None, etag: str,
                 services: Services) -> Response:
    path = services.uploads.storage.path(key)
    try:
        size = (await trio.Path(path).stat()).st_size
    except FileNotFoundError:
        LOGGER.error("the file of an upload is missing: %s", key)
        raise ClickclackError("the stored file of this upload is missing",
                              code="upload_file_missing") from None
    body = TrioFileBody(path, buffer_size=SERVE_CHUNK)
    resp = Response(body, mimetype=content_type.split(";")[0])
    resp.headers["Content-Type"] = content_type
    resp.content_length = size
    resp.set_etag(etag)
    await resp.make_conditional(request, accept_ranges=True, complete_length=size)
    if request.method == "HEAD" and resp.status_code in (200, 206):
        length = resp.content_length
        resp.set_data(b"")  # do not read the file only to throw the bytes away
        resp.content_length = length
    for name, value in _DOWNLOAD_HEADERS.items():
        resp.headers[name] = value
    if disposition is not None:
        resp.headers["Content-Disposition"] = disposition
    return resp


@route("GET", "/api/uploads/{upload_id}", summary="The bytes of an upload you can see "
       "(Range and HEAD supported); inline only for raster images, audio, mp4/webm, PDF and "
       "plain text", auth="user", scope="messages:read", response=None,
       content_type="*/*", errors=(401, 403, 404), tags=("uploads",))  # the sniffed type
async def download_upload(ctx: Ctx, upload_id: str) -> Response:
    found = ctx.services.store.visible_upload(ctx.me, upload_id)
    content_type, inline = sniff.serving(found.upload.content_type)
    disposition = sniff.content_disposition(found.upload.filename, inline=inline)
    return await _serve(found.storage_path, content_type, disposition, found.upload.id,
                        ctx.services)


@route("GET", "/api/uploads/{upload_id}/thumbnail", summary="A WebP thumbnail (at most 320 px, "
       "no metadata) of an image upload you can see; 404 when there is none", auth="user",
       scope="messages:read", response=None, content_type="image/webp",
       errors=(401, 403, 404), tags=("uploads",))
async def upload_thumbnail(ctx: Ctx, upload_id: str) -> Response:
    found = ctx.services.store.visible_upload(ctx.me, upload_id)
    if found.thumbnail_path is None:
        raise NotFound("this upload has no thumbnail", code="thumbnail_not_found")
    disposition = sniff.content_disposition(f"{found.upload.filename}.webp", inline=True)
    return await _serve(found.thumbnail_path, "image/webp", disposition,
                        f"{found.upload.id}-thumb", ctx.services)


@route("POST", "/api/messages/{message_id}/attachments", summary="Attach an upload to your "
       "message (idempotent; message.updated only for a new link)", auth="user",
       scope="uploads:write", body=AttachIn, response=Ok, errors=(400, 401, 403, 404, 415),
       tags=("uploads",))
async def attach_upload(ctx: Ctx, body: AttachIn, message_id: str) -> Ok:
    if ctx.me.is_bot and "messages:write" not in (ctx.me.scopes or ()):
        raise Forbidden("bot token lacks the messages:write scope", code="missing_scope",
                        required_scope="messages:write")
    await ctx.services.store.attach_upload(ctx.me, message_id, body.upload_id)
    return Ok(ok=True)
