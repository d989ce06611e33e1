"""The hub never blocks its publisher; a full subscriber is detached (to resync from the log)
while others keep receiving; visibility follows the recipient list."""

import trio

from clickclack.events import make_event
from clickclack.realtime.hub import Hub


def ev(i: int, workspace: str = "w", recipients=None):
    return make_event(id=f"evt_{i}", cursor=f"cur_{i:026d}", type="message.created",
                      workspace_id=workspace, created_at="t", payload={"i": i},
                      recipients=recipients)


def drain(sub):
    out = []
    while True:
        try:
            out.append(sub.inbox.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel):
            return out


async def test_slow_subscriber_is_detached_without_blocking_and_others_get_everything():
    hub = Hub(queue_size=16)
    slow = hub.subscribe("w", "u1")
    fast = hub.subscribe("w", "u2")
    got = []
    for i in range(1000):
        hub.publish([ev(i)])  # synchronous: returns without waiting for anyone
        got.extend(drain(fast))
    assert [e.payload["i"] for e in got] == list(range(1000))
    assert slow.overflowed and slow.close_code is None  # resync, not an error close
    assert len(drain(slow)) == 16  # memory stayed bounded by the queue size
    stats = hub.statistics()
    assert stats.overflowed == 1 and stats.subscribers == 1


async def test_private_events_reach_only_recipients_and_only_their_workspace():
    hub = Hub()
    a = hub.subscribe("w", "alice")
    b = hub.subscribe("w", "bob")
    other = hub.subscribe("w2", "alice")
    hub.publish([ev(1, recipients=frozenset({"alice"})), ev(2), ev(3, workspace="w2")])
    assert [e.payload["i"] for e in drain(a)] == [1, 2]
    assert [e.payload["i"] for e in drain(b)] == [2]
    assert [e.payload["i"] for e in drain(other)] == [3]


async def test_close_all_ends_every_subscription_with_the_code_and_refuses_new_ones():
    hub = Hub()
    subs = [hub.subscribe("w", f"u{i}") for i in range(3)]
    hub.close_all(code=1001)
    for s in subs:
        assert s.close_code == 1001
        assert drain(s) == []
    late = hub.subscribe("w", "late")
    assert late.close_code == 1001
    assert hub.statistics().subscribers == 0


async def test_close_user_closes_only_that_users_sockets():
    hub = Hub()
    a1, a2, b = hub.subscribe("w", "a"), hub.subscribe("w2", "a"), hub.subscribe("w", "b")
    assert hub.close_user("a", code=1008, reason="revoked") == 2
    assert a1.close_code == a2.close_code == 1008 and b.close_code is None
    hub.publish([ev(1)])
    assert len(drain(b)) == 1


async def test_close_credential_closes_only_sockets_of_that_session():
    hub = Hub()
    s1 = hub.subscribe("w", "a", "ses_1")
    s2 = hub.subscribe("w", "a", "ses_2")
    assert hub.close_credential("ses_1", code=1008) == 1
    assert s1.close_code == 1008 and s2.close_code is None
