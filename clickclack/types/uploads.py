"""Wire types for uploads and attachments (contract 16).

:class:`Upload` is also embedded in :class:`~clickclack.types.core.Message` (``attachments``),
so it does not import from ``core``: it repeats the response base's settings instead (optional
fields are left out, not sent as ``null``).
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct


class Upload(Struct, omit_defaults=True, kw_only=True):
    """An uploaded file.  The storage path is never serialized; ``content_type`` is the type
    sniffed from the bytes (the client's claim is ignored)."""

    id: str
    workspace_id: str
    owner_id: str
    filename: str
    content_type: str
    byte_size: int
    created_at: str
    width: int = 0
    height: int = 0
    duration_ms: int = 0
    nonce: str | None = None
    has_thumbnail: bool = False  # GET /api/uploads/{id}/thumbnail answers 200


class UploadOut(Struct, omit_defaults=True, kw_only=True):
    upload: Upload


class AttachIn(Struct, kw_only=True, forbid_unknown_fields=False):
    upload_id: Annotated[str, Meta(min_length=1, max_length=64)]
