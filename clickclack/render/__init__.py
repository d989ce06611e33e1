"""Rendering user text, once, at write time."""

from clickclack.render.markdown import render_markdown

__all__ = ["render_markdown"]
