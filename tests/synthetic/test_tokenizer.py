"""Digit tokenizer: exact round trip on the grid, bounded quantisation off it."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.tasks.synthetic import tokenizer as tok


def _tokens(text: str) -> list[int]:
    return [tok.VOCAB.index(c) for c in text.split()]


def _text(tokens: torch.Tensor) -> str:
    return " ".join(tok.VOCAB[int(t)] for t in tokens.reshape(-1))


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1.234e-2, "+ 2 1 2 3 4"),
        (-7.5, "− 0 7 5 0 0"),
        (0.0, "+ 9 0 0 0 0"),
        (-0.0, "+ 9 0 0 0 0"),
        (12.5, "+ 0 9 9 9 9"),  # saturates at 9.999
        (-1e9, "− 0 9 9 9 9"),
        (9.99996e-3, "+ 2 1 0 0 0"),  # rounds up into the next decade
        (1e-3, "+ 3 1 0 0 0"),
        (4e-13, "+ 9 0 0 0 0"),  # below half the last grid step: zero
        (6e-13, "+ 9 0 0 0 1"),  # subnormal at e = 9
        (-3.21e-11, "− 9 0 0 3 2"),
        (0.0050000001, "+ 3 5 0 0 0"),
    ],
)
def test_known_encodings(x: float, text: str) -> None:
    assert _text(tok.encode(torch.tensor([[x]], dtype=torch.float64))) == text


canonical = st.one_of(
    st.tuples(st.sampled_from([tok.PLUS, tok.MINUS]), st.integers(0, 8), st.integers(1000, 9999)),
    st.tuples(st.sampled_from([tok.PLUS, tok.MINUS]), st.just(9), st.integers(1, 9999)),
    st.just((tok.PLUS, 9, 0)),
)


def _row(sign: int, e: int, m: int) -> list[int]:
    return [sign, e, m // 1000, m // 100 % 10, m // 10 % 10, m % 10]


@settings(max_examples=300, deadline=None)
@given(st.lists(canonical, min_size=1, max_size=8))
def test_round_trip_exact_on_grid(nums: list[tuple[int, int, int]]) -> None:
    tokens = torch.tensor([[t for n in nums for t in _row(*n)]])
    values = tok.decode(tokens)
    # the decoded float is the nearest double to s·m/10^(e+3) ...
    for (sign, e, m), v in zip(nums, values[0].tolist(), strict=True):
        assert v == (-1 if sign == tok.MINUS else 1) * m / 10 ** (e + 3)
    # ... and both directions are exact
    assert torch.equal(tok.encode(values), tokens)
    assert torch.equal(tok.decode(tok.encode(values)), values)


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=-50, max_value=50, allow_nan=False, allow_subnormal=True))
def test_quantisation_bound(x: float) -> None:
    q = tok.quantize(torch.tensor([[x]], dtype=torch.float64)).item()
    t = tok.encode(torch.tensor([[x]], dtype=torch.float64))[0].tolist()
    assert t[0] in (tok.PLUS, tok.MINUS) and all(0 <= d <= 9 for d in t[1:])
    if abs(x) >= 9.9995:
        assert q == math.copysign(9.999, x)
        return
    e = t[1]
    half_step = 0.5 / 10 ** (e + 3)
    assert abs(q - x) <= half_step * (1 + 1e-9)
    if e < tok.MAX_EXP:
        assert t[2] != 0  # normalised: 4 significant digits
        assert abs(q - x) <= 5e-4 * abs(x) * (1 + 1e-9)
    # quantising is idempotent
    assert tok.quantize(torch.tensor([[q]], dtype=torch.float64)).item() == q


def test_non_canonical_digits_still_decode() -> None:
    t = torch.tensor([_tokens("+ 3 0 1 2 3")])
    assert tok.decode(t).item() == 123 / 10**6
    assert _text(tok.encode(tok.decode(t))) == "+ 4 1 2 3 0"


def test_nan_and_inf_do_not_leak() -> None:
    x = torch.tensor([[float("nan"), float("inf"), -float("inf"), 1.0]], dtype=torch.float64)
    assert tok.decode(tok.encode(x)).tolist() == [[0.0, 9.999, -9.999, 1.0]]
