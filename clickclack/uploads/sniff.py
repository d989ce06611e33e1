"""What a file is, from its first bytes, and how it may be served.

The client's ``Content-Type`` and filename are never trusted: the type comes from magic numbers
in the first :data:`SNIFF_BYTES` bytes; the filename is kept only as a label (database only,
never a path), cleaned of path parts and invisible or reordering characters.

Serving (reliability.md D2/D7, contract 16): ``Content-Type`` only from an allow-list (anything
else is ``application/octet-stream``), ``inline`` only for raster images, audio, mp4/webm video,
PDF and plain text; HTML and SVG -- and everything unknown -- are always attachments.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from urllib.parse import quote

SNIFF_BYTES = 4096
MAX_FILENAME_CHARS = 255
OCTET_STREAM = "application/octet-stream"

# What is served under its own type; every other type is served as application/octet-stream.
INLINE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp",
    "video/mp4", "video/webm", "application/pdf", "text/plain",
})
RASTER_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Bidirectional controls (RTL override and friends) and other invisible format characters
# that make a name read differently from what it is ("invoice\u202Egnp.exe").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div",
              b"<font", b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p",
              b"<!--", b"<svg", b"<?xml", b"<meta", b"<link", b"<form", b"<img", b"<object",
              b"<embed")
_TAG_END = b" \t\n\r\x0c>/"
_TEXT_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def sniff(head: bytes, total_size: int) -> str:
    """The media type of a file whose first bytes are ``head`` (at most :data:`SNIFF_BYTES`)."""
    if not head:
        return OCTET_STREAM
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B ", b"M4P "):
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "audio/aac"
    markup = _markup(head)
    if markup is not None:
        return markup
    if _is_text(head, complete=total_size <= len(head)):
        return "text/plain"
    return OCTET_STREAM


def _markup(head: bytes) -> str | None:
    """HTML, SVG or XML at the start (after a BOM and white space), the way browsers sniff."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\n\r\x0c").lower()
    if text.startswith(b"<?xml"):
        return "image/svg+xml" if b"<svg" in text else "application/xml"
    for tag in _HTML_TAGS:
        if text.startswith(tag) and (len(text) == len(tag) or text[len(tag)] in _TAG_END
                                     or tag in (b"<!--", b"<?xml")):
            return "image/svg+xml" if tag == b"<svg" else "text/html"
    return None


def _is_text(head: bytes, *, complete: bool) -> bool:
    """UTF-8 (a sequence cut at the end of ``head`` is fine) without binary control bytes."""
    if _TEXT_CONTROLS.search(head):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def serving(content_type: str) -> tuple[str, bool]:
    """(Content-Type header, inline?) for a stored (sniffed) type."""
    if content_type.startswith("audio/"):
        return content_type, True
    if content_type not in INLINE_TYPES:
        return OCTET_STREAM, False
    if content_type == "text/plain":
        return "text/plain; charset=utf-8", True
    return content_type, True


def clean_filename(raw: str | None) -> str:
    """A harmless label from the client's filename: the last path part only, without NUL,
    control, bidi or other format characters, NFC-normalised, at most 255 code points (the
    extension kept).  Never used on disk."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if ch not in _BIDI
                   and unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
    name = name.strip().strip(".").strip()
    if not name:
        return "file"
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS].rstrip()
    return name


def _ascii_fallback(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9 ._()+,=@-]", "_", folded).strip(" ._")
    return safe[:MAX_FILENAME_CHARS] or "download"


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` (UTF-8, percent-encoded) and a plain ASCII
    ``filename`` fallback without quotes, backslashes, separators or controls."""
    kind = "inline" if inline else "attachment"
    name = clean_filename(filename)
    encoded = quote(name, safe="!#$&+-.^_`|~")
    return f"{kind}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"
