"""CappedLog keeps the head and tail of a stream within its caps, and says what it cut."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agentbench.tasks.swebench.capped_log import CappedLog


@given(st.lists(st.binary(max_size=300), max_size=40), st.integers(1, 200), st.integers(1, 200))
def test_head_and_tail_are_kept_and_the_cut_is_said(
    chunks: list[bytes], head: int, tail: int
) -> None:
    log = CappedLog(head=head, tail=tail)
    for c in chunks:
        log.feed(c)
    whole = b"".join(chunks)
    assert log.total == len(whole)
    if len(whole) <= head + tail:
        assert log.cut == 0 and log.text() == whole.decode("utf-8", errors="replace")
    else:
        assert log.cut == len(whole) - head - tail
        text = log.text()
        assert "bytes of grading output cut here" in text
        assert len(log._head) == head and sum(map(len, log._tail)) < tail + 300


def test_the_kept_tail_starts_at_a_line_and_ends_with_the_stream() -> None:
    log = CappedLog(head=10, tail=100)
    log.feed(
        b"HEAD-LINE\n" + b"noise\n" * 10_000 + b"PASSED tests/a.py::t\n>>>>> End Test Output\n"
    )
    text = log.text()
    assert text.startswith("HEAD-LINE\n")
    assert text.endswith("PASSED tests/a.py::t\n>>>>> End Test Output\n")
    assert "\nnoise\n" in text and "nois\n" not in text.split("cut here", 1)[1].split("\n", 2)[1]
