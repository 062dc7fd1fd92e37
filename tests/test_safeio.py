"""The limited readers refuse hostile input in bounded time with one line naming file and limit."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentbench.safeio import InputLimitError, json_depth, loads_json, read_capped

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_depth_matches_the_parsed_structure_brackets_in_strings_ignored(value: object) -> None:
    assert json_depth(json.dumps(value)) == _depth(value)


def test_deep_nesting_is_refused_before_the_parser_recurses() -> None:
    text = "[" * 200_000 + "]" * 200_000
    with pytest.raises(
        InputLimitError, match=r"t\.json: JSON nested 200000 levels deep, over the limit of 256"
    ):
        loads_json(text, source="t.json")
    assert loads_json("[" * 10 + "]" * 10, source="t.json") == [[[[[[[[[[]]]]]]]]]]


def test_oversized_and_invalid_json_are_one_line() -> None:
    with pytest.raises(InputLimitError, match="over the 10-byte limit"):
        loads_json(b"[" + b"1," * 10 + b"1]", source="x", max_bytes=10)
    with pytest.raises(Exception, match=r"^x: not valid JSON") as info:
        loads_json(b"{nope", source="x")
    assert "\n" not in str(info.value)


def test_a_zip_bomb_entry_is_cut_off_at_the_cap_without_reading_it_whole() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.json", b"\0" * (64 * 1024 * 1024))
    assert len(buf.getvalue()) < 200_000  # 64 MiB of zeros packs to ~64 KB
    with zipfile.ZipFile(buf) as zf, zf.open("big.json") as f:
        with pytest.raises(
            InputLimitError, match=r"log\.eval:big\.json: more than 4,194,304 bytes"
        ):
            read_capped(f, source="log.eval:big.json", max_bytes=4 * 1024 * 1024)
        assert f.tell() <= 6 * 1024 * 1024  # stopped soon after the cap
