"""Bot token scopes (contract 17.2).  Humans skip scope checks; bot tokens carry the expanded,
sorted list chosen when the token was issued."""

from __future__ import annotations

from collections.abc import Iterable

from clickclack.errors import BadRequest

CONCRETE = frozenset({
    "workspaces:read", "channels:read", "channels:write", "messages:read", "messages:write",
    "threads:read", "threads:write", "dms:read", "dms:write", "realtime:read",
    "uploads:write", "profile:read", "commands:write", "agent_activity:write",
})
# Checked by some routes but never grantable: bots can never moderate or administer.
UNGRANTABLE = frozenset({"workspaces:write"})

_READ = ("workspaces:read", "channels:read", "messages:read", "threads:read", "dms:read",
         "realtime:read", "profile:read")
_WRITE = (*_READ, "messages:write", "threads:write", "dms:write", "uploads:write",
          "commands:write")
BUNDLES: dict[str, tuple[str, ...]] = {
    "bot:read": _READ,
    "bot:write": _WRITE,
    "bot:admin": (*_WRITE, "channels:write"),
}
DEFAULT = "bot:write"
MAX_SCOPE_INPUTS = 64


def expand(requested: Iterable[str] | None) -> list[str]:
    """Expand bundles, split comma lists, de-duplicate and sort; unknown scopes are a 400.
    An empty request means ``bot:write``; ``agent_activity:write`` must be asked for."""
    items: list[str] = []
    for raw in list(requested or [])[:MAX_SCOPE_INPUTS]:
        items += [part.strip() for part in str(raw).split(",") if part.strip()]
    if not items:
        items = [DEFAULT]
    out: set[str] = set()
    for item in items:
        if item in BUNDLES:
            out.update(BUNDLES[item])
        elif item in CONCRETE:
            out.add(item)
        else:
            raise BadRequest(f"unknown scope {item!r}", code="unknown_scope")
    return sorted(out)
