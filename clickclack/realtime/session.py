"""One realtime websocket (contract 14.5): replay from the log by cursor, then live events from
the hub, coalesced into array frames (D11).  The socket is output-only.

Ordering hazard: we subscribe to the hub *before* reading the tail cursor, so an event committed
around connect time is either in the replay (cursor <= tail) or in the live queue (or both; the
``cursor > last`` check drops the duplicate).  Nothing can fall between the two.

Overflow: when the hub detaches us for falling behind, we resubscribe and replay from the last
cursor we sent, which is the same path as a reconnect; more than ``replay_limit`` events to catch
up closes with 4001 and the client resyncs over HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio

from clickclack.events import Event
from clickclack.realtime.hub import CLOSE_POLICY, CLOSE_RESYNC, Hub, Subscription
from clickclack.store import Store

LOGGER = logging.getLogger("clickclack.realtime")

REPLAY_PAGE = 500
FRAME_MAX_EVENTS = 64
RECHECK_INTERVAL_S = 30.0


@dataclass(frozen=True, slots=True)
class Closing:
    code: int
    reason: str


def frame(events: list[Event]) -> str:
    if len(events) == 1:
        return events[0].json
    return "[" + ",".join(e.json for e in events) + "]"


async def run_session(
    *,
    store: Store,
    hub: Hub,
    workspace_id: str,
    user_id: str,
    after_cursor: str | None,
    replay_limit: int,
    credential: str | None = None,
    is_guest: bool = False,
    send: Callable[[str], Awaitable[None]],
    still_allowed: Callable[[], bool],
) -> Closing:
    """Deliver events until the subscription ends; return how to close the socket."""
    last = after_cursor or ""
    sub = hub.subscribe(workspace_id, user_id, credential, is_guest)
    try:
        async with trio.open_nursery() as nursery:

            async def recheck() -> None:
                # Credentials are re-checked while idle too (session revoked, member removed).
                while True:
                    await trio.sleep(RECHECK_INTERVAL_S)
                    if not still_allowed():
                        hub.close_subscription(sub, code=CLOSE_POLICY,
                                               reason="workspace access revoked")
                        return

            nursery.start_soon(recheck)
            while True:
                closing, last = await _replay(store, sub, last, replay_limit, send)
                if closing is None:
                    closing, last = await _live(sub, last, send)
                if closing is not None:
                    nursery.cancel_scope.cancel()
                    return closing
                # Overflowed: resubscribe first, then catch up from the log.
                hub.unsubscribe(sub)
                sub = hub.subscribe(workspace_id, user_id, credential, is_guest)
    finally:
        hub.unsubscribe(sub)


async def _replay(store: Store, sub: Subscription, last: str, limit: int,
                  send: Callable[[str], Awaitable[None]]) -> tuple[Closing | None, str]:
    """Send the visible events in (last, tail] from the log; the same visibility rules as the
    hub's live filter (workspace, recipients, guest)."""
    if sub.close_code is not None:
        return Closing(sub.close_code, sub.close_reason), last
    workspace_id, user_id, guest = sub.workspace_id, sub.user_id, sub.is_guest
    tail = store.tail_cursor(workspace_id, user_id, guest)
    if last and (last > tail or not store.cursor_exists(workspace_id, last)):
        return Closing(CLOSE_RESYNC, "unknown or pruned cursor; resync required"), last
    if last == tail:
        return None, last
    # Count before sending anything: a client too far behind resyncs over HTTP instead.
    if store.count_events_after(workspace_id, user_id, last, tail, limit + 1, guest) > limit:
        return Closing(CLOSE_RESYNC, "realtime replay limit exceeded; resync required"), last
    while last < tail:
        page = store.events_after(workspace_id, user_id, last, REPLAY_PAGE, upto=tail,
                                  is_guest=guest)
        if not page:
            break
        for i in range(0, len(page), FRAME_MAX_EVENTS):
            await send(frame(page[i:i + FRAME_MAX_EVENTS]))
        last = page[-1].cursor
    return None, last


async def _live(sub: Subscription, last: str, send: Callable[[str], Awaitable[None]]
                ) -> tuple[Closing | None, str]:
    async for first in sub.inbox:
        batch = [first]
        while len(batch) < FRAME_MAX_EVENTS:
            try:
                batch.append(sub.inbox.receive_nowait())
            except (trio.WouldBlock, trio.EndOfChannel):
                break
        # Drop what the replay already sent; ephemeral events ("" cursor) always pass.
        fresh = [e for e in batch if not e.cursor or e.cursor > last]
        if not fresh:
            continue
        await send(frame(fresh))
        for e in reversed(fresh):
            if e.cursor:
                last = e.cursor
                break
    if sub.close_code is not None:
        return Closing(sub.close_code, sub.close_reason), last
    return None, last  # overflowed: caller resubscribes and replays
