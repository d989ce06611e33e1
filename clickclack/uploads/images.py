"""Raster images: dimensions from the header, decompression bombs refused before decoding, and
thumbnails without metadata.

Only PNG, JPEG, GIF and WebP are ever handed to Pillow (reliability.md D11; Synapse
CVE-2024-53863: no Ghostscript, no exotic decoders), and only after their header -- parsed here,
without Pillow -- declares at most :data:`MAX_PIXELS` pixels.  A 1 KB PNG that declares
50,000 x 50,000 pixels is refused after reading 24 bytes.

Thumbnails (at most :data:`THUMB_BOX` px on the long side, WebP) are decoded from the first
frame, turned upright by the EXIF orientation, and rebuilt from raw pixels, so no EXIF (GPS),
XMP, ICC or text chunk of the original survives.  Callers run :func:`process` in a worker
thread, under a capacity limiter.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

MAX_PIXELS = 40_000_000  # 40 megapixels: decoding takes at most ~160 MB, and well under 1 s
THUMB_BOX = 320
_PILLOW_FORMAT = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF",
                  "image/webp": "WEBP"}
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE,
                       0xCF})
_JPEG_SCAN_LIMIT = 16 * 1024 * 1024  # stop looking for the frame header after this many bytes


class ImageTooLarge(Exception):
    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"image is {width}x{height} pixels; at most {MAX_PIXELS:,} pixels "
                         "are accepted")
        self.width = width
        self.height = height


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    thumbnail: bool


def is_raster(content_type: str) -> bool:
    return content_type in _PILLOW_FORMAT


def header_size(f: BinaryIO, content_type: str) -> tuple[int, int] | None:
    """(width, height) as the file's header declares them, without decoding; None if the
    header cannot be read."""
    head = f.read(64)
    if content_type == "image/png":
        if len(head) >= 24 and head[12:16] == b"IHDR":
            w, h = struct.unpack(">II", head[16:24])
            return int(w), int(h)
        return None
    if content_type == "image/gif":
        if len(head) >= 10:
            w, h = struct.unpack("<HH", head[6:10])
            return int(w), int(h)
        return None
    if content_type == "image/webp":
        return _webp_size(head)
    if content_type == "image/jpeg":
        f.seek(2)
        return _jpeg_size(f)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30:
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        b = head[21:25]
        return 1 + (b[0] | (b[1] & 0x3F) << 8), 1 + (b[1] >> 6 | b[2] << 2 | (b[3] & 0x0F) << 10)
    if chunk == b"VP8X" and len(head) >= 30:
        return (1 + int.from_bytes(head[24:27], "little"),
                1 + int.from_bytes(head[27:30], "little"))
    return None


def _jpeg_size(f: BinaryIO) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first frame header (SOFn)."""
    while f.tell() < _JPEG_SCAN_LIMIT:
        byte = f.read(1)
        if not byte:
            return None
        if byte != b"\xff":
            continue
        marker = f.read(1)
        while marker == b"\xff":  # fill bytes
            marker = f.read(1)
        if not marker:
            return None
        code = marker[0]
        if code in (0x01, 0xD8) or 0xD0 <= code <= 0xD7:  # no length field
            continue
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if length < 2:
            return None
        if code in _JPEG_SOF:
            data = f.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return int(w), int(h)
        f.seek(length - 2, os.SEEK_CUR)
    return None


def process(src: Path, content_type: str, thumb_tmp: Path, thumb_final: Path) -> ImageInfo:
    """Check the pixel cap, then make the thumbnail (written to ``thumb_tmp``, fsync-ed, renamed
    to ``thumb_final``).  Raises :class:`ImageTooLarge`; an image Pillow cannot decode gets no
    thumbnail (and the header's dimensions, when there are any).  Blocking: call it in a worker
    thread."""
    with src.open("rb") as f:
        size = header_size(f, content_type)
    if size is None:
        return ImageInfo(0, 0, False)
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(width, height)
    try:
        return _thumbnail(src, content_type, thumb_tmp, thumb_final)
    except ImageTooLarge:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError):
        thumb_tmp.unlink(missing_ok=True)
        return ImageInfo(width, height, False)


def _thumbnail(src: Path, content_type: str, thumb_tmp: Path, thumb_final: Path) -> ImageInfo:
    with Image.open(src, formats=[_PILLOW_FORMAT[content_type]]) as im:
        if im.width * im.height > MAX_PIXELS:  # Pillow's reading of the header, as a backstop
            raise ImageTooLarge(im.width, im.height)
        orientation = im.getexif().get(0x0112, 1)
        width, height = im.size
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        im.draft("RGB", (THUMB_BOX, THUMB_BOX))  # JPEG: decode at 1/2 .. 1/8 scale
        upright = ImageOps.exif_transpose(im)
        mode = "RGBA" if upright.mode in ("RGBA", "LA", "PA") or (
            upright.mode == "P" and "transparency" in upright.info) else "RGB"
        frame = upright.convert(mode)
        frame.thumbnail((THUMB_BOX, THUMB_BOX))
        # A new image from raw pixels: nothing of the original's metadata comes along.
        clean = Image.frombytes(mode, frame.size, frame.tobytes())
    with thumb_tmp.open("wb") as out:
        clean.save(out, format="WEBP", quality=80, method=4)
        out.flush()
        os.fsync(out.fileno())
    os.replace(thumb_tmp, thumb_final)
    return ImageInfo(width, height, True)
