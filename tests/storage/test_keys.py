"""The Azure Table backend's key escape, for any text: reversible, only characters Table Storage
accepts in a RowKey, and the same order and prefixes as the keys themselves (what `list` relies on)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.tables import decode_key, encode_key

FORBIDDEN_IN_ROW_KEYS = set("/\\#?") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}
# Weighted towards the characters the escape treats specially and their neighbours.
keys = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(" !\"#$%&'*+-./0:;<=>?@[\\]^_`{|}~\x00\x1f\x7f\x85é😀\U0010ffff")),
        st.characters(codec="utf-8"),
    ),
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(keys, keys)
def test_escape_keeps_order_prefixes_and_round_trips(a: str, b: str) -> None:
    ea, eb = encode_key(a), encode_key(b)
    assert decode_key(ea) == a
    assert (a < b) == (ea < eb)
    assert a.startswith(b) == ea.startswith(eb)
    assert not set(ea) & FORBIDDEN_IN_ROW_KEYS and ea.isascii()


def test_common_keys_stay_readable() -> None:
    assert encode_key("MR-ABC123/2026-11-23T10:00:00+00:00/uuid") == "MR-ABC123.2F2026-11-23T10:00:00+00:00.2Fuuid"
    assert encode_key("msteams/conversations/a:xyz/") == "msteams.2Fconversations.2Fa:xyz.2F"
