"""The hub: fans committed events out to websocket subscribers without ever blocking.

* :meth:`Hub.publish` is synchronous and is called only by the writer, after ``COMMIT``, with the
  batch's events in commit order.  Ephemeral events come through :meth:`publish_ephemeral`.
* Each subscriber has a bounded memory channel (``queue_size``).  ``send_nowait`` never waits: a
  subscriber whose queue is full is *detached* (its channel is closed with reason ``overflow``);
  its session then resyncs from the durable log by cursor, or closes with 4001 if it is too far
  behind.  One slow reader therefore never stalls the writer or other readers, and memory per
  subscriber is bounded by ``queue_size`` events (the event JSON strings are shared, not copied).
* Visibility: an event reaches subscribers of its workspace for which
  :meth:`Event.visible_to` holds (private events carry their recipient allow-list).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import trio

from clickclack.events import Event

LOGGER = logging.getLogger("clickclack.hub")

CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013
CLOSE_RESYNC = 4001


class Subscription:
    """One websocket's inbox.  Iterate ``inbox``; when it ends, ``close_code`` says why
    (``None`` with ``overflowed`` set means: resync from the log and resubscribe)."""

    __slots__ = ("_send", "close_code", "close_reason", "credential", "id", "inbox", "is_guest",
                 "overflowed", "user_id", "workspace_id")

    def __init__(self, sid: int, workspace_id: str, user_id: str, size: int,
                 credential: str | None = None, is_guest: bool = False) -> None:
        self.is_guest = is_guest
        self.id = sid
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.credential = credential  # session (ses_) or bot token (btok_) id
        self._send, self.inbox = trio.open_memory_channel[Event](size)
        self.overflowed = False
        self.close_code: int | None = None
        self.close_reason = ""


@dataclass(frozen=True, slots=True)
class HubStatistics:
    subscribers: int
    published: int
    delivered: int
    overflowed: int


class Hub:
    def __init__(self, *, queue_size: int = 1024) -> None:
        self._size = queue_size
        self._ids = itertools.count(1)
        self._by_workspace: dict[str, dict[int, Subscription]] = {}
        self._closed_code: int | None = None
        self._published = 0
        self._delivered = 0
        self._overflowed = 0

    def subscribe(self, workspace_id: str, user_id: str, credential: str | None = None,
                  is_guest: bool = False) -> Subscription:
        sub = Subscription(next(self._ids), workspace_id, user_id, self._size, credential,
                           is_guest)
        if self._closed_code is not None:
            self._detach(sub, code=self._closed_code, reason="server shutting down")
        else:
            self._by_workspace.setdefault(workspace_id, {})[sub.id] = sub
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._by_workspace.get(sub.workspace_id)
        if subs is not None and subs.pop(sub.id, None) is not None and not subs:
            del self._by_workspace[sub.workspace_id]
        sub._send.close()

    def _detach(self, sub: Subscription, *, code: int | None, reason: str) -> None:
        if code is None:
            sub.overflowed = True
        elif sub.close_code is None:
            sub.close_code = code
            sub.close_reason = reason
        self.unsubscribe(sub)

    def publish(self, events: list[Event]) -> None:
        """Called by the writer after commit.  Never blocks."""
        for event in events:
            self._published += 1
            subs = self._by_workspace.get(event.workspace_id)
            if not subs:
                continue
            for sub in list(subs.values()):
                if not event.visible_to(sub.user_id, sub.is_guest):
                    continue
                try:
                    sub._send.send_nowait(event)
                    self._delivered += 1
                except trio.WouldBlock:
                    # Too slow: detach; the session replays from the log by cursor.
                    self._overflowed += 1
                    LOGGER.info("subscriber %d fell behind; resyncing from the log", sub.id)
                    self._detach(sub, code=None, reason="overflow")
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self.unsubscribe(sub)

    def publish_ephemeral(self, event: Event) -> None:
        """Typing/presence/progress: delivered best-effort, never stored."""
        self.publish([event])

    def close_subscription(self, sub: Subscription, *, code: int, reason: str = "") -> None:
        self._detach(sub, code=code, reason=reason)

    def close_user(self, user_id: str, *, code: int = CLOSE_POLICY, reason: str = "") -> int:
        """Close every socket of ``user_id`` (session revoked, member removed, ...)."""
        n = 0
        for subs in list(self._by_workspace.values()):
            for sub in list(subs.values()):
                if sub.user_id == user_id:
                    self._detach(sub, code=code, reason=reason)
                    n += 1
        return n

    def close_credential(self, credential: str, *, code: int = CLOSE_POLICY, reason: str = ""
                         ) -> int:
        """Close the sockets opened with one session or bot token (revoked, logged out)."""
        n = 0
        for subs in list(self._by_workspace.values()):
            for sub in list(subs.values()):
                if sub.credential == credential:
                    self._detach(sub, code=code, reason=reason)
                    n += 1
        return n

    def close_workspace_user(self, workspace_id: str, user_id: str, *, code: int = CLOSE_POLICY,
                             reason: str = "") -> int:
        n = 0
        for sub in list(self._by_workspace.get(workspace_id, {}).values()):
            if sub.user_id == user_id:
                self._detach(sub, code=code, reason=reason)
                n += 1
        return n

    def close_all(self, *, code: int = CLOSE_GOING_AWAY, reason: str = "server shutting down"
                  ) -> None:
        """Shutdown: end every subscription (sessions close their sockets with ``code``) and
        refuse new ones."""
        self._closed_code = code
        for subs in list(self._by_workspace.values()):
            for sub in list(subs.values()):
                self._detach(sub, code=code, reason=reason)

    def statistics(self) -> HubStatistics:
        return HubStatistics(
            subscribers=sum(len(s) for s in self._by_workspace.values()),
            published=self._published,
            delivered=self._delivered,
            overflowed=self._overflowed,
        )
