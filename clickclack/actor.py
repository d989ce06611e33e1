"""Who is calling: resolved once per request by ``api/auth.py`` and passed to the store, which
checks access with it inside its own queries and transactions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: str
    kind: str = "human"  # "human" or "bot"
    session_id: str | None = None  # the sst_ session row, when authenticated by one
    token_id: str | None = None  # the bot token row (btok_), when authenticated by one
    via: str = "session"  # "bearer", "cookie", "dev", "bot"
    bot_workspace_id: str | None = None  # bot tokens are bound to one workspace
    scopes: frozenset[str] | None = None  # bot token scopes; None for humans (no scope checks)

    @property
    def is_bot(self) -> bool:
        return self.kind == "bot"
