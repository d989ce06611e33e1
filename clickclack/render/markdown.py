"""Markdown → sanitized HTML, rendered once at write time (and on edit) and stored as
``body_html`` (contract Part A, D9).

Two independent layers, so a bug in one is caught by the other:

1. markdown-it-py in CommonMark mode with **raw HTML disabled** (``<b>`` in a message is text),
   tables, strikethrough and autolinks; images are disabled (no remote fetches from a message);
   its link validator already refuses ``javascript:``/``vbscript:``/``data:`` URLs.
2. nh3 (the ammonia sanitizer) with an allow-list of tags and attributes, links limited to
   ``http``, ``https`` and ``mailto`` with ``rel="noopener noreferrer nofollow"``, and ``class``
   kept only as ``language-<name>`` on ``<code>`` (syntax-highlighting hooks for the client).

Every user string other than ``body_html`` is plain text and must be escaped by the client.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

MAX_RENDER_CHARS = 40_000

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    .enable(["table", "strikethrough", "linkify"])
    .disable(["image"])
)

_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "ol": {"start"}}
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")


_ABSOLUTE_LINK = re.compile(r"(https?://|mailto:)", re.IGNORECASE)


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        return value if tag == "code" and _LANGUAGE_CLASS.fullmatch(value) else None
    if attribute == "href":
        # Only absolute http(s) and mailto links: no relative or empty hrefs either.
        return value if _ABSOLUTE_LINK.match(value) else None
    return value


# Most chat lines are plain sentences.  For those the result is known without parsing: one
# paragraph of the text itself.  The pattern admits only characters that can neither start
# Markdown syntax nor form an autolink (a dot or colon only before a space or the end, so no
# domain or scheme); tests check the shortcut gives byte-identical output to the full path.
_PLAIN = re.compile(r"[A-Za-z0-9 ,;?!']*(?:[.:](?= |\Z)[A-Za-z0-9 ,;?!']*)*\Z")
_LIST_START = re.compile(r"\d+[.)]")


def render_markdown(body: str) -> str:
    if _PLAIN.match(body) and not _LIST_START.match(body) and "  " not in body:
        return f"<p>{body}</p>" if body else ""
    html = _md.render(body[:MAX_RENDER_CHARS])
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_filter,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
