"""``open_services(config)``: the long-running parts of one server process, started in order and
stopped in reverse.

Start: the hub, then the store (whose writer applies migrations and, with ``dev_bootstrap``,
creates the bootstrap workspace) -- all ready before the first request is accepted.
Then the mail sender task and upload housekeeping, in the services nursery.
Stop (after the HTTP server has stopped accepting and drained): the mail sender sends what is
queued (within the graceful timeout), then the writer drains its queue, checkpoints the WAL and
closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio

from clickclack.config import Config
from clickclack.events import Event
from clickclack.mail import Mailer
from clickclack.passwords import Passwords
from clickclack.ratelimit import RateLimiter
from clickclack.realtime.hub import Hub
from clickclack.store import Store, open_store
from clickclack.store.workspaces import ensure_bootstrap
from clickclack.uploads.housekeeping import UploadService


@dataclass(frozen=True, slots=True)
class Services:
    config: Config
    store: Store
    hub: Hub
    limits: RateLimiter
    mailer: Mailer
    passwords: Passwords
    uploads: UploadService


@asynccontextmanager
async def open_services(config: Config) -> AsyncIterator[Services]:
    hub = Hub(queue_size=config.hub_queue)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    uploads = UploadService(config.data_dir)

    def publish(events: list[Event]) -> None:
        hub.publish(events)
        uploads.notice(events)  # a deleted message may leave upload files to remove

    async with open_store(
        config.db_path,
        publish,
        synchronous=config.synchronous,
        queue_size=config.writer_queue,
        batch_size=config.writer_batch,
        on_start=ensure_bootstrap if config.dev_bootstrap else None,
        read_timeout_s=config.read_query_timeout_s,
    ) as store, trio.open_nursery() as nursery:
        mailer = Mailer.from_config(config)
        await nursery.start(mailer.run)
        await nursery.start(uploads.run, store)
        try:
            yield Services(config=config, store=store, hub=hub,
                           limits=RateLimiter.from_config(config), mailer=mailer,
                           passwords=Passwords(), uploads=uploads)
        finally:
            uploads.close()
            with trio.CancelScope(shield=True):
                await mailer.aclose(config.graceful_timeout_s)
