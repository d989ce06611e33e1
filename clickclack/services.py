"""``open_services(config)``: the long-running parts of one server process, started in order and
stopped in reverse.

Start: the hub, then the store (whose writer applies migrations and, with ``dev_bootstrap``,
creates the bootstrap workspace) -- all ready before the first request is accepted.
Stop (after the HTTP server has stopped accepting and drained): the writer drains its queue,
checkpoints the WAL and closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from clickclack.config import Config
from clickclack.realtime.hub import Hub
from clickclack.store import Store, open_store
from clickclack.store.workspaces import ensure_bootstrap


@dataclass(frozen=True, slots=True)
class Services:
    config: Config
    store: Store
    hub: Hub


@asynccontextmanager
async def open_services(config: Config) -> AsyncIterator[Services]:
    hub = Hub(queue_size=config.hub_queue)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    async with open_store(
        config.db_path,
        hub.publish,
        synchronous=config.synchronous,
        queue_size=config.writer_queue,
        batch_size=config.writer_batch,
        on_start=ensure_bootstrap if config.dev_bootstrap else None,
        read_timeout_s=config.read_query_timeout_s,
    ) as store:
        yield Services(config=config, store=store, hub=hub)
