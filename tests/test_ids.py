import re

from clickclack.ids import new_id, next_cursor, now_ts, route_id


def test_ids_have_prefix_and_lowercase_ulid():
    assert re.fullmatch(r"msg_[0-9a-z]{26}", new_id("msg"))


def test_route_ids_are_letter_plus_16_crockford():
    for _ in range(100):
        assert re.fullmatch(r"C[0-9ABCDEFGHJKMNPQRSTVWXYZ]{16}", route_id("C"))


def test_cursors_increase_strictly_even_within_one_millisecond_and_backwards_clocks():
    c = next_cursor(None, now_ms=1_000_000)
    seen = [c]
    for ms in [1_000_000] * 50 + [999_000] * 50 + [1_000_001] * 10:
        c = next_cursor(c, now_ms=ms)
        seen.append(c)
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)
    assert all(re.fullmatch(r"cur_[0-9a-z]{26}", s) for s in seen)


def test_timestamps_are_fixed_width_rfc3339_with_nanoseconds():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", now_ts())


def test_our_fast_ulid_encoding_matches_python_ulid():
    """python-ulid is the reference; ids are encoded by a table-driven copy for speed."""
    from ulid import ULID

    from clickclack.ids import _decode_ulid, _encode_ulid

    for _ in range(1000):
        u = ULID()
        assert _encode_ulid(int(u)) == str(u).lower()
        assert _decode_ulid(str(u).lower()) == int(u)
    made = new_id("msg")[4:]
    assert ULID.from_str(made.upper()).timestamp > 1.7e9
