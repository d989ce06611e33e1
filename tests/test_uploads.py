"""Uploads and attachments (contract 16; reliability.md A4, C4, D2, D7, D11): streamed multipart
uploads with a cap, sniffed types, safe download headers, hostile filenames, thumbnails without
EXIF, decompression bombs, visibility, attaching, deleting, nonces and a full disk."""

from __future__ import annotations

import errno
import io
import re
import sqlite3
import struct
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
import trio
from PIL import Image

from clickclack.uploads import storage as storage_module
from tests.conftest import bootstrap_ids, sign_up
from tests.helpers import _DB, add_member, create_bot

BOUNDARY = "cc-test-4f1c9a"
MiB = 1024 * 1024
KEY_RE = re.compile(r"^upload-[0-9a-f]{32}(\.thumb\.webp)?$")


# --- helpers (also used by the other test_uploads_* modules) --------------------------------------

def part(name: str, value: bytes | str, *, filename: str | None = None,
         filename_star: str | None = None, content_type: str | None = None) -> bytes:
    """One multipart part, written by hand so hostile names reach the server unchanged."""
    disp = f'form-data; name="{name}"'
    if filename is not None:
        disp += f'; filename="{filename}"'
    if filename_star is not None:
        disp += f"; filename*=UTF-8''{quote(filename_star, safe='')}"
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disp}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    data = value.encode() if isinstance(value, str) else value
    return head.encode("utf-8") + b"\r\n" + data + b"\r\n"


def form(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


CT = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


async def upload(http: Any, workspace_id: str, data: bytes, filename: str = "f.bin", *,
                 headers: dict[str, str] | None = None, params: dict[str, str] | None = None,
                 expect: int | None = 201, content_type: str = "application/octet-stream",
                 **fields: str) -> Any:
    body = form(part("workspace_id", workspace_id),
                *[part(k, v) for k, v in fields.items()],
                part("file", data, filename=filename, content_type=content_type))
    r = await http.post("/api/uploads", content=body, headers={**CT, **(headers or {})},
                        params=params)
    if expect is not None:
        assert r.status_code == expect, r.text
    return r


def stored_files(data_dir: str | Path) -> list[str]:
    """Every file under <data>/uploads (temp files included)."""
    root = Path(data_dir) / "uploads"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def jpeg_with_exif(width: int = 800, height: int = 600) -> bytes:
    img = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to display
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 5.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


async def wait_until(predicate: Any, within: float = 5.0) -> None:
    """Wait for an effect another task or process makes on disk or in the database (files
    removed by housekeeping, a reservation written by the server): there is no event to wait
    on across that boundary, so it is polled, bounded by ``within``."""
    with trio.fail_after(within):
        while not predicate():  # noqa: ASYNC110 - polling an effect outside this task
            await trio.sleep(0.02)


# --- round trip, types and headers ----------------------------------------------------------------

async def test_image_upload_round_trip_with_an_exif_free_thumbnail(http, server):
    ws, _ = await bootstrap_ids(http)
    original = jpeg_with_exif()
    r = await upload(http, ws, original, "holiday.jpg", content_type="text/html")
    up = r.json()["upload"]
    assert up["content_type"] == "image/jpeg"  # sniffed; the client's claim is ignored
    assert (up["width"], up["height"]) == (600, 800)  # upright (EXIF orientation 6)
    assert up["byte_size"] == len(original) and up["filename"] == "holiday.jpg"
    assert up["has_thumbnail"] is True and "storage_path" not in up
    got = await http.get(f"/api/uploads/{up['id']}")
    assert got.status_code == 200 and got.content == original  # the bytes as uploaded
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert got.headers["content-disposition"].startswith("inline;")
    thumb = await http.get(f"/api/uploads/{up['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert thumb.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(thumb.content)) as t:
        assert t.format == "WEBP" and max(t.size) == 320
        assert t.size == (240, 320)  # turned upright before scaling
        assert len(t.getexif()) == 0 and "exif" not in t.info and "xmp" not in t.info
    assert b"SecretCam" not in thumb.content and b"Exif" not in thumb.content
    # Only random names on disk: the client's filename is in the database alone.
    names = [n for n in stored_files(server.config.data) if n != "tmp"]
    assert names and all(KEY_RE.fullmatch(n) for n in names), names


@pytest.mark.parametrize(("data", "sniffed", "served", "inline"), [
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "text/html",
     "application/octet-stream", False),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "image/svg+xml", "application/octet-stream", False),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
     "image/svg+xml", "application/octet-stream", False),
    (b"  \n<script>alert(1)</script>", "text/html", "application/octet-stream", False),
    (b"\xff\xd8\xff\xe0<html><script>alert(1)</script>", "image/jpeg", "image/jpeg", True),
    (b"plain words, nothing else\n", "text/plain", "text/plain; charset=utf-8", True),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf", "application/pdf", True),
    (b"ID3\x03\x00\x00\x00\x00\x00\x00", "audio/mpeg", "audio/mpeg", True),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4", "video/mp4", True),
    (b"PK\x03\x04\x14\x00\x00\x00", "application/octet-stream", "application/octet-stream",
     False),
])
async def test_types_are_sniffed_and_active_content_is_never_inline(http, data, sniffed,
                                                                     served, inline):
    ws, _ = await bootstrap_ids(http)
    up = (await upload(http, ws, data, "innocent.png", content_type="image/png")).json()["upload"]
    assert up["content_type"] == sniffed
    got = await http.get(f"/api/uploads/{up['id']}")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == served
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("inline;" if inline else "attachment;"), disposition


async def test_range_and_head_requests(http):
    ws, _ = await bootstrap_ids(http)
    data = bytes(range(256)) * 40
    up = (await upload(http, ws, data, "blob.bin")).json()["upload"]
    part_r = await http.get(f"/api/uploads/{up['id']}", headers={"Range": "bytes=10-19"})
    assert part_r.status_code == 206 and part_r.content == data[10:20]
    assert part_r.headers["content-security-policy"] == "default-src 'none'; sandbox"
    head = await http.head(f"/api/uploads/{up['id']}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(data))
    assert head.headers["content-disposition"].startswith("attachment;")
    full = await http.get(f"/api/uploads/{up['id']}")
    assert full.headers["cache-control"] == "private, no-cache"
    again = await http.get(f"/api/uploads/{up['id']}",
                           headers={"If-None-Match": full.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    none = await http.get(f"/api/uploads/{up['id']}/thumbnail")
    assert none.status_code == 404 and none.json()["code"] == "thumbnail_not_found"


# --- hostile filenames (D7) -----------------------------------------------------------------------

@pytest.mark.parametrize(("given", "star", "expected"), [
    ("../../x", False, "x"),
    ("..%2f..%2fx", False, "%2f..%2fx"),  # never decoded, never a path; no leading dots
    ("/etc/passwd", False, "passwd"),
    ("C:\\Windows\\system32\\evil.dll", True, "evil.dll"),
    ("..", False, "file"),
    ("a\x00b.txt", True, "ab.txt"),
    ("invoice\u202egnp.exe", True, "invoicegnp.exe"),
    ("line\r\nbreak.txt", True, "linebreak.txt"),
    ('quote"and;semi.txt', True, 'quote"and;semi.txt'),
    ("CON", False, "CON"),
    ("Ünïcödé 文件.txt", True, "Ünïcödé 文件.txt"),
    ("x" * 10_000 + ".txt", False, "x" * 251 + ".txt"),
])
async def test_hostile_filenames_stay_labels(http, server, given, star, expected):
    ws, _ = await bootstrap_ids(http)
    body = form(part("workspace_id", ws),
                part("file", b"payload", filename=None if star else given,
                     filename_star=given if star else None))
    r = await http.post("/api/uploads", content=body, headers=CT)
    assert r.status_code == 201, r.text
    up = r.json()["upload"]
    assert up["filename"] == expected
    assert len(up["filename"]) <= 255
    names = [n for n in stored_files(server.config.data) if not n.startswith("tmp")]
    assert all(KEY_RE.fullmatch(n) for n in names), names
    assert not (Path(server.config.data).parent / "x").exists()
    got = await http.get(f"/api/uploads/{up['id']}")
    disposition = got.headers["content-disposition"]
    disposition.encode("ascii")  # a well-formed header: plain ASCII, no raw bytes
    assert not re.search(r"[\x00-\x1f\x7f]", disposition)
    m = re.fullmatch(r'inline; filename="([^"\\/]*)"; filename\*=UTF-8\'\'(\S+)',
                     disposition)
    assert m, disposition
    assert unquote(m.group(2)) == expected  # RFC 5987 round-trips the cleaned name
    assert "\u202e" not in unquote(m.group(2))


# --- size cap (C4) and the connection afterwards --------------------------------------------------

async def _stream(head: bytes, size: int, tail: bytes) -> Any:
    yield head
    block = b"\x00" * MiB
    left = size
    while left:
        n = min(left, len(block))
        yield block[:n]
        left -= n
    yield tail


@pytest.mark.slow
async def test_one_byte_over_64_mib_is_413_and_leaves_nothing(http, server):
    ws, _ = await bootstrap_ids(http)
    before = stored_files(server.config.data)
    head = (part("workspace_id", ws)
            + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
              f'filename="big.bin"\r\n\r\n'.encode())
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    size = server.config.upload_max_bytes + 1
    r = await http.post("/api/uploads", content=_stream(head, size, tail),
                        headers={**CT, "Content-Length": str(len(head) + size + len(tail))})
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "upload_too_large"
    assert stored_files(server.config.data) == before
    # The same client (keep-alive) is answered at once afterwards.
    with trio.fail_after(2):
        assert (await http.get("/healthz")).status_code == 200
    # Exactly the cap is fine.
    r = await http.post("/api/uploads", content=_stream(head, size - 1, tail),
                        headers={**CT, "Content-Length": str(len(head) + size - 1 + len(tail))})
    assert r.status_code == 201, r.text
    assert r.json()["upload"]["byte_size"] == server.config.upload_max_bytes


async def test_a_declared_length_far_over_the_cap_is_refused_before_reading(http, server):
    ws, _ = await bootstrap_ids(http)
    head = part("workspace_id", ws)
    started = time.monotonic()
    r = await http.post("/api/uploads", content=_stream(head, 80 * MiB, b""),
                        headers={**CT, "Content-Length": str(len(head) + 80 * MiB)})
    assert r.status_code == 413 and r.json()["code"] == "upload_too_large"
    assert time.monotonic() - started < 5
    assert [n for n in stored_files(server.config.data) if n != "tmp"] == []
    assert (await http.get("/healthz")).status_code == 200


# --- decompression bombs (D11) --------------------------------------------------------------------

async def test_a_png_declaring_50000_by_50000_pixels_is_refused_fast(http, server):
    ws, _ = await bootstrap_ids(http)
    bomb = png_declaring(50_000, 50_000)
    assert len(bomb) < 1024
    before = stored_files(server.config.data)
    started = time.monotonic()
    r = await upload(http, ws, bomb, "bomb.png", expect=413)
    elapsed = time.monotonic() - started
    assert r.json()["code"] == "image_too_large"
    assert elapsed < 1.0, elapsed
    assert stored_files(server.config.data) == before
    # A modest, real image is fine.
    ok = await upload(http, ws, png_declaring(64, 64), "small.png")
    assert ok.json()["upload"]["width"] == 64


# --- multipart rules ------------------------------------------------------------------------------

async def test_form_rules(http):
    ws, _ = await bootstrap_ids(http)
    file_part = part("file", b"data", filename="a.bin")
    cases = [
        (form(file_part, part("workspace_id", ws)), {}, 400, "workspace_id_after_file"),
        (form(part("workspace_id", ws)), {}, 400, "upload_file_required"),
        (form(part("workspace_id", ws), file_part, file_part), {}, 400, "upload_file_invalid"),
        (form(part("workspace_id", ws), part("other", b"x", filename="a")), {}, 400,
         "upload_file_invalid"),
        (form(part("workspace_id", "wsp_elsewhere"), file_part), {"workspace_id": ws}, 400,
         "workspace_id_mismatch"),
        (form(part("workspace_id", "wsp_" + "0" * 26), file_part), {}, 404,
         "workspace_not_found"),
        (b"--" + BOUNDARY.encode() + b"\r\nno headers at all", {}, 400, "multipart_invalid"),
        (form(part("workspace_id", ws), part("width", "wide"), file_part), {}, 400,
         "validation_failed"),
        # issue 9: a repeated field is refused (it used to be concatenated: "6"+"40")
        (form(part("workspace_id", ws), part("width", "6"), part("width", "40"), file_part),
         {}, 400, "form_field_repeated"),
    ]
    for body, params, status, code in cases:
        r = await http.post("/api/uploads", content=body, headers=CT, params=params)
        assert (r.status_code, r.json()["code"]) == (status, code), (body[:80], r.text)
    r = await http.post("/api/uploads", json={"x": 1}, params={"workspace_id": ws})
    assert (r.status_code, r.json()["code"]) == (415, "multipart_required")
    r = await http.post("/api/uploads", json={"x": 1})
    assert (r.status_code, r.json()["code"]) == (404, "workspace_not_found")
    r = await http.post("/api/uploads", content=form(file_part), headers=CT,
                        params={"nonce": "n1"})
    assert r.status_code == 400  # a nonce needs workspace_id in the query
    # workspace_id in the query, form fields after the file, client dimensions for non-images.
    r = await http.post("/api/uploads", params={"workspace_id": ws}, headers=CT,
                        content=form(part("file", b"\x1a\x45\xdf\xa3webm", filename="v.webm"),
                                     part("width", "640"), part("height", "360"),
                                     part("duration_ms", "1500")))
    assert r.status_code == 201, r.text
    up = r.json()["upload"]
    assert (up["width"], up["height"], up["duration_ms"]) == (640, 360, 1500)
    assert up["content_type"] == "video/webm"


# --- nonces ---------------------------------------------------------------------------------------

async def test_nonce_replay_and_cross_workspace_conflict(http):
    ws, _ = await bootstrap_ids(http)
    other = (await http.post("/api/workspaces", json={"name": "Second"})).json()["workspace"]["id"]
    first = await upload(http, ws, b"one", "one.txt", params={"workspace_id": ws, "nonce": "n-1"})
    assert first.headers["x-clickclack-upload-nonce"] == "supported"
    up = first.json()["upload"]
    assert up["nonce"] == "n-1"
    again = await upload(http, ws, b"something else entirely", "two.txt", expect=200,
                         params={"workspace_id": ws, "nonce": "n-1"})
    assert again.json()["upload"] == up
    r = await http.get("/api/uploads/by-nonce", params={"workspace_id": ws, "nonce": "n-1"})
    assert r.status_code == 200 and r.json()["upload"]["id"] == up["id"]
    assert r.headers["x-clickclack-upload-nonce"] == "supported"
    r = await http.get("/api/uploads/by-nonce", params={"workspace_id": other, "nonce": "n-1"})
    assert (r.status_code, r.json()["code"]) == (409, "nonce_other_workspace")
    r = await upload(http, other, b"one", params={"workspace_id": other, "nonce": "n-1"},
                     expect=409)
    assert r.json()["code"] == "nonce_other_workspace"
    r = await http.get("/api/uploads/by-nonce", params={"workspace_id": ws, "nonce": "nope"})
    assert (r.status_code, r.json()["code"]) == (404, "nonce_not_found")


# --- visibility -----------------------------------------------------------------------------------

async def test_who_can_download(http):
    ws, general = await bootstrap_ids(http)
    bea = await sign_up(http, "bea@example.com", "Bea")
    cy = await sign_up(http, "cy@example.com", "Cy")
    out = await sign_up(http, "out@example.com", "Outsider")
    for p in (bea, cy):
        await add_member(http, ws, p.user_id)
    await http.post("/api/workspaces", json={"name": "Elsewhere"}, headers=out.headers)

    async def status(upload_id: str, who: Any) -> int:
        return (await http.get(f"/api/uploads/{upload_id}", headers=who.headers)).status_code

    # Unattached: the owner only.
    mine = (await upload(http, ws, b"draft", "draft.txt")).json()["upload"]["id"]
    assert await http.get(f"/api/uploads/{mine}") is not None
    assert (await http.get(f"/api/uploads/{mine}")).status_code == 200
    assert await status(mine, bea) == 404
    # Attached in a public channel: every member; never an outsider.
    r = await http.post(f"/api/channels/{general}/messages",
                        json={"body": "public", "upload_id": mine})
    assert r.status_code == 201, r.text
    assert await status(mine, bea) == 200 and await status(mine, out) == 404
    # A private channel: its members only.
    priv = (await http.post(f"/api/workspaces/{ws}/channels",
                            json={"name": "secret", "kind": "private"})).json()["channel"]["id"]
    assert (await http.post(f"/api/channels/{priv}/members",
                            json={"user_id": cy.user_id})).status_code == 200
    hidden = (await upload(http, ws, b"private bytes", "p.txt")).json()["upload"]["id"]
    assert (await http.post(f"/api/channels/{priv}/messages",
                            json={"body": "in private", "upload_id": hidden})).status_code == 201
    assert await status(hidden, cy) == 200
    assert await status(hidden, bea) == 404 and await status(hidden, out) == 404
    thumb = await http.get(f"/api/uploads/{hidden}/thumbnail", headers=bea.headers)
    assert thumb.status_code == 404 and thumb.json()["code"] == "upload_not_found"
    # A DM: its members only.
    dm = (await http.post("/api/dms", json={"workspace_id": ws, "member_ids": [cy.user_id]})
          ).json()["conversation"]["id"]
    secret = (await upload(http, ws, b"dm bytes", "dm.txt")).json()["upload"]["id"]
    r = await http.post(f"/api/dms/{dm}/messages", json={"body": "for cy", "upload_id": secret})
    assert r.status_code == 201, r.text
    assert r.json()["message"]["attachments"][0]["id"] == secret
    assert await status(secret, cy) == 200
    assert await status(secret, bea) == 404 and await status(secret, out) == 404
    # Bots: bound to their workspace, and a DM attachment needs dms:read.
    reader = (await create_bot(http, ws, scopes=["messages:read"]))["bot_token"]["token"]
    auth = {"Authorization": f"Bearer {reader}"}
    assert (await http.get(f"/api/uploads/{mine}", headers=auth)).status_code == 200
    r = await http.get(f"/api/uploads/{hidden}", headers=auth)
    assert r.status_code == 404
    r = await http.post("/api/uploads", content=form(part("workspace_id", ws)), headers={
        **CT, **auth})
    assert (r.status_code, r.json()["code"]) == (403, "missing_scope")


async def test_guests_and_outsiders_cannot_upload(http):
    ws, _ = await bootstrap_ids(http)
    guest = await sign_up(http, "guest@example.com")
    out = await sign_up(http, "outsider2@example.com")
    await add_member(http, ws, guest.user_id, role="guest")
    r = await upload(http, ws, b"x", headers=guest.headers, expect=403)
    assert r.json()["code"] == "moderation_restriction"
    r = await upload(http, ws, b"x", headers=out.headers, expect=404)
    r = await upload(http, ws, b"x", headers=out.headers, params={"workspace_id": ws},
                     expect=404)


# --- attaching and deleting -----------------------------------------------------------------------

async def test_attach_rules_and_atomic_create(http, server):
    ws, general = await bootstrap_ids(http)
    bea = await sign_up(http, "bea2@example.com", "Bea")
    await add_member(http, ws, bea.user_id)
    other_ws = (await http.post("/api/workspaces", json={"name": "Far"})).json()["workspace"]["id"]
    page_before = (await http.get(f"/api/channels/{general}/messages")).json()["messages"]
    beas = (await upload(http, ws, b"bea's", headers=bea.headers)).json()["upload"]["id"]
    far = (await upload(http, other_ws, b"far away")).json()["upload"]["id"]
    # Someone else's unattached upload is invisible: 404, and no message is created.
    r = await http.post(f"/api/channels/{general}/messages", json={"body": "x",
                                                                   "upload_id": beas})
    assert (r.status_code, r.json()["code"]) == (404, "upload_not_found")
    r = await http.post(f"/api/channels/{general}/messages", json={"body": "x",
                                                                   "upload_id": far})
    assert (r.status_code, r.json()["code"]) == (400, "upload_other_workspace")
    assert (await http.get(f"/api/channels/{general}/messages")).json()["messages"] == \
        page_before
    # Attach later: the author only, idempotent, one message.updated.
    mine = (await upload(http, ws, b"later", "later.txt")).json()["upload"]["id"]
    msg = (await http.post(f"/api/channels/{general}/messages", json={"body": "plain"})
           ).json()["message"]
    tail = (await http.get("/api/realtime/events", params={"workspace_id": ws,
                                                           "include_tail": "true"})
            ).json()["tail_cursor"]
    for _ in range(2):
        r = await http.post(f"/api/messages/{msg['id']}/attachments", json={"upload_id": mine})
        assert r.status_code == 200 and r.json() == {"ok": True}
    events = (await http.get("/api/realtime/events", params={"workspace_id": ws,
                                                             "after_cursor": tail})
              ).json()["events"]
    assert [e["type"] for e in events] == ["message.updated"]
    got = (await http.get(f"/api/messages/{msg['id']}")).json()["message"]
    assert [a["id"] for a in got["attachments"]] == [mine]
    r = await http.post(f"/api/messages/{msg['id']}/attachments", json={"upload_id": beas},
                        headers=bea.headers)
    assert (r.status_code, r.json()["code"]) == (403, "message_not_writable")
    # Page hydration carries attachments.
    page = (await http.get(f"/api/channels/{general}/messages")).json()["messages"]
    assert [a["id"] for a in page[-1]["attachments"]] == [mine]
    # A deleted message takes no attachments.
    await http.delete(f"/api/messages/{msg['id']}")
    other = (await upload(http, ws, b"more")).json()["upload"]["id"]
    r = await http.post(f"/api/messages/{msg['id']}/attachments", json={"upload_id": other})
    assert (r.status_code, r.json()["code"]) == (400, "message_deleted")


async def test_deleting_a_message_unlinks_and_removes_its_files(http, server):
    ws, general = await bootstrap_ids(http)
    bea = await sign_up(http, "bea3@example.com", "Bea")
    await add_member(http, ws, bea.user_id)
    up = (await upload(http, ws, jpeg_with_exif(64, 48), "pic.jpg")).json()["upload"]
    kept = (await upload(http, ws, b"shared", "shared.txt")).json()["upload"]
    msg = (await http.post(f"/api/channels/{general}/messages",
                           json={"body": "pic", "upload_id": up["id"]})).json()["message"]
    await http.post(f"/api/messages/{msg['id']}/attachments", json={"upload_id": kept["id"]})
    other = (await http.post(f"/api/channels/{general}/messages",
                             json={"body": "also", "upload_id": kept["id"]})).json()["message"]
    files = set(stored_files(server.config.data))
    assert len([n for n in files if KEY_RE.fullmatch(n)]) == 3  # two files and a thumbnail
    r = await http.delete(f"/api/messages/{msg['id']}")
    assert r.status_code == 200 and "attachments" not in r.json()["message"]
    for who in ({}, bea.headers):
        assert (await http.get(f"/api/uploads/{up['id']}", headers=who)).status_code == 404
    assert (await http.get(f"/api/uploads/{up['id']}/thumbnail")).status_code == 404
    # Still attached to a live message: still there.
    assert (await http.get(f"/api/uploads/{kept['id']}", headers=bea.headers)).status_code == 200
    got = (await http.get(f"/api/messages/{msg['id']}")).json()["message"]
    assert "attachments" not in got
    await wait_until(lambda: len([n for n in stored_files(server.config.data)
                                  if KEY_RE.fullmatch(n)]) == 1)
    await http.delete(f"/api/messages/{other['id']}")
    await wait_until(lambda: not [n for n in stored_files(server.config.data)
                                  if KEY_RE.fullmatch(n)])


# --- disk full (A4) -------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["write", "after_rename"])
async def test_disk_full_is_507_and_leaves_no_partial_file(http, server, monkeypatch, where):
    ws, _ = await bootstrap_ids(http)
    real_write, real_sync = storage_module._write_all, storage_module._fsync_dir
    calls = 0

    def filling_up(fd: int, data: Any) -> None:
        nonlocal calls
        calls += 1
        if calls >= 2:  # the first piece lands, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, data)

    def full_at_sync(directory: Any) -> None:  # the file is in place; syncing it fails
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    if where == "write":
        monkeypatch.setattr(storage_module, "_write_all", filling_up)
    else:
        monkeypatch.setattr(storage_module, "_fsync_dir", full_at_sync)
    before = stored_files(server.config.data)
    r = await upload(http, ws, b"\x01" * (2 * MiB), "big.bin", expect=507)
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "insufficient_storage"
    assert stored_files(server.config.data) == before
    # Space is back: uploads work again, and the failed one left no quota reservation.
    monkeypatch.setattr(storage_module, "_write_all", real_write)
    monkeypatch.setattr(storage_module, "_fsync_dir", real_sync)
    assert (await upload(http, ws, b"fine")).status_code == 201
    with sqlite3.connect(_DB[str(http.base_url)]) as conn:
        assert conn.execute("SELECT COUNT(*) FROM upload_quota_reservations").fetchone()[0] == 0


# --- bots, chunked bodies, nonce replays with an attachment ---------------------------------------

async def test_bot_scopes_for_uploads(http):
    ws, general = await bootstrap_ids(http)
    writer = (await create_bot(http, ws, scopes=["uploads:write", "messages:read"]))
    auth = {"Authorization": f"Bearer {writer['bot_token']['token']}"}
    up = (await upload(http, ws, b"from a bot", "bot.txt", headers=auth)).json()["upload"]
    assert up["owner_id"] == writer["bot"]["id"]
    assert (await http.get(f"/api/uploads/{up['id']}", headers=auth)).status_code == 200
    r = await http.get("/api/uploads/by-nonce", params={"workspace_id": ws, "nonce": "x"},
                       headers=auth)
    assert r.status_code == 404
    # Attaching needs messages:write as well.
    msg = (await http.post(f"/api/channels/{general}/messages", json={"body": "m"},
                           headers=auth))
    assert msg.status_code == 403  # no messages:write: cannot even post
    full = await create_bot(http, ws)  # bot:write
    fauth = {"Authorization": f"Bearer {full['bot_token']['token']}"}
    mine = (await upload(http, ws, b"full bot", headers=fauth)).json()["upload"]["id"]
    m = (await http.post(f"/api/channels/{general}/messages", json={"body": "m"},
                         headers=fauth)).json()["message"]
    r = await http.post(f"/api/messages/{m['id']}/attachments", json={"upload_id": mine},
                        headers=fauth)
    assert r.status_code == 200, r.text
    r = await http.post(f"/api/messages/{m['id']}/attachments", json={"upload_id": up["id"]},
                        headers=auth)
    assert (r.status_code, r.json()["code"]) == (403, "missing_scope")


async def test_a_chunked_body_without_length_is_streamed_too(http):
    ws, _ = await bootstrap_ids(http)
    payload = b"chunk-" * 50_000

    async def chunks() -> Any:
        body = form(part("workspace_id", ws), part("file", payload, filename="c.txt"))
        for i in range(0, len(body), 7_777):
            yield body[i:i + 7_777]

    r = await http.post("/api/uploads", content=chunks(), headers=CT)
    assert r.status_code == 201, r.text
    up = r.json()["upload"]
    assert up["byte_size"] == len(payload) and up["content_type"] == "text/plain"
    assert (await http.get(f"/api/uploads/{up['id']}")).content == payload


async def test_a_message_nonce_replay_with_its_upload_is_the_same_message(http):
    ws, general = await bootstrap_ids(http)
    up = (await upload(http, ws, b"once")).json()["upload"]["id"]
    other = (await upload(http, ws, b"twice")).json()["upload"]["id"]
    body = {"body": "with file", "nonce": "m-1", "upload_id": up}
    first = await http.post(f"/api/channels/{general}/messages", json=body)
    assert first.status_code == 201, first.text
    again = await http.post(f"/api/channels/{general}/messages", json=body)
    assert again.status_code == 200
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert [a["id"] for a in again.json()["message"]["attachments"]] == [up]
    r = await http.post(f"/api/channels/{general}/messages", json={**body, "upload_id": other})
    assert r.status_code in (400, 409) and r.json()["code"] == "nonce_conflict"


async def test_a_failed_database_write_removes_the_stored_file(http, server, monkeypatch):
    from clickclack.errors import Unavailable
    from clickclack.store import uploads as upload_rows

    ws, _ = await bootstrap_ids(http)
    before = stored_files(server.config.data)

    def failing(*args: Any) -> Any:
        raise Unavailable("the database is unavailable; the write was not saved",
                          code="db_unavailable")

    monkeypatch.setattr(upload_rows, "record", failing)
    r = await upload(http, ws, jpeg_with_exif(32, 32), "lost.jpg", expect=503)
    assert r.json()["code"] == "db_unavailable"
    assert stored_files(server.config.data) == before  # neither the file nor its thumbnail


async def test_a_part_without_a_name_is_ignored_not_a_500(http):
    """Issue 9 (found by schemathesis): a form part whose Content-Disposition has no usable
    name crashed the handler (500); such parts, like unknown fields, are ignored."""
    ws, _ = await bootstrap_ids(http)
    nameless = (f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n").encode()
    body = form(nameless, part("file", b"data", filename="a.bin"))
    r = await http.post("/api/uploads", content=body, headers=CT, params={"workspace_id": ws})
    assert r.status_code == 201, r.text
    body = form(part("whatever", "1"), part("whatever", "2"), part("file", b"d", filename="b"))
    r = await http.post("/api/uploads", content=body, headers=CT, params={"workspace_id": ws})
    assert r.status_code == 201, r.text
