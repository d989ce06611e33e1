"""Store methods for message search (contract 15 with D8).  No SQL here: the search itself is
``store/search.py``; it runs as one long read (worker thread, read time limit), so a search
that cannot finish answers 503 ``query_timeout`` instead of holding the event loop."""

from __future__ import annotations

from clickclack.actor import Actor
from clickclack.store import search
from clickclack.store._base import StoreBase
from clickclack.store.search import SearchParams
from clickclack.types.search import SearchPage


class SearchFacade(StoreBase):
    # Whether message_attachments exists (uploads may not be installed yet): looked up in
    # sqlite_master on the first search, then remembered (migrations only run at start-up).
    _search_attachments: bool | None = None

    async def search_messages(self, actor: Actor, params: SearchParams) -> SearchPage:
        if self._search_attachments is None:
            self._search_attachments = self._read(
                lambda c: c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                    " AND name = 'message_attachments'").fetchone() is not None)
        return await self._read_long(search.search, actor, params, self._search_attachments)
