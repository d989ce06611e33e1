"""Wire types: what the API returns and accepts.  The store builds these; the API encodes them;
the OpenAPI description is generated from them.  One module per area; ``core`` holds the shared
ones (users, workspaces, channels, messages, events, problems)."""

from clickclack.types.core import *  # noqa: F403
from clickclack.types.core import __all__ as _core_all

__all__ = list(_core_all)
