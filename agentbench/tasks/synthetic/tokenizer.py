"""Digit tokenizer for real numbers: sign, exponent, four mantissa digits (torch only).

A number x is written as six tokens ``s e m1 m2 m3 m4`` and means

    x = s · M / 10^(e+3),   M = m1m2m3m4 (an integer 0..9999),   e ∈ {0..9}

so ``+ 2 1 2 3 4`` is +1.234e-2. The exponent is always ≤ 0 (capped at 0) and needs
no sign of its own. Quantisation (the representable grid):

- normal numbers, e ∈ 0..8: M ∈ 1000..9999, so 4 significant digits; rounding to nearest
  (half to even) gives a relative error ≤ 5e-4;
- e = 9 also takes M < 1000 (subnormal), so the grid ends at a step of 1e-12 and
  |x| < 5e-13 rounds to zero; zero is ``+ 9 0 0 0 0``;
- |x| ≥ 9.9995 saturates at ±9.999 (e = 0, M = 9999).

Decoding any token string of this shape is valid (a non-canonical one such as
``+ 3 0 1 2 3`` still means +0.123e-3); encoding always gives the canonical form, and
``encode(decode(t)) == t`` for every canonical t, ``decode(encode(x)) == x`` for every x
on the grid. Only torch is imported so the GPU benchmark can use this module.
"""

from __future__ import annotations

import torch

DIGITS = "0123456789"
PLUS, MINUS, BOS, SEP = 10, 11, 12, 13
VOCAB = [*DIGITS, "+", "−", "<bos>", "<sep>"]
VOCAB_SIZE = len(VOCAB)
NUM_LEN = 6  # sign, exponent, 4 mantissa digits
MAX_EXP = 9
MAX_MANTISSA = 9999
SIGN_SLOT = 0  # offset of the sign inside a number's six tokens

# Exact powers of ten (Python float literals up to 1e22 are exact); a table, not pow(),
# because device pow() is not guaranteed to round exactly.
_POW10 = [10.0 ** (k + 3) for k in range(MAX_EXP + 1)]
# one table per device: building it from a Python list is a blocking host-to-device copy,
# which on CUDA would synchronise every encode/decode (four times per training step)
_POW10_TABLES: dict[torch.device, torch.Tensor] = {}


def _pow10(e: torch.Tensor) -> torch.Tensor:
    table = _POW10_TABLES.get(e.device)
    if table is None:
        # a plain tensor even when first built under inference_mode
        with torch.inference_mode(False):
            table = torch.tensor(_POW10, dtype=torch.float64, device=e.device)
        _POW10_TABLES[e.device] = table
    return table[e]


def encode(x: torch.Tensor) -> torch.Tensor:
    """Encode float values (..., d) as canonical tokens (..., d * 6), int64, on x's device."""
    x = x.to(torch.float64)
    x = torch.nan_to_num(x, nan=0.0, posinf=1e300, neginf=-1e300)
    a = x.abs()
    with torch.no_grad():
        e = (-torch.floor(torch.log10(a))).clamp(0, MAX_EXP).nan_to_num(MAX_EXP).long()
        m = torch.round(a * _pow10(e))
        # log10 can be one off near powers of ten; one correction step fixes either side
        too_big = (m > MAX_MANTISSA) & (e > 0)
        too_small = (m < 1000) & (e < MAX_EXP) & ~too_big
        e = e - too_big.long() + too_small.long()
        m = torch.round(a * _pow10(e)).clamp(max=MAX_MANTISSA).long()
    sign = torch.where((x < 0) & (m > 0), MINUS, PLUS)
    digits = torch.stack([m // 1000, (m // 100) % 10, (m // 10) % 10, m % 10], dim=-1)
    tokens = torch.cat([sign.unsqueeze(-1), e.unsqueeze(-1), digits], dim=-1)
    return tokens.reshape(*x.shape[:-1], x.shape[-1] * NUM_LEN)


def decode(tokens: torch.Tensor) -> torch.Tensor:
    """Decode tokens (..., d * 6) to float64 values (..., d); any sign/digit string is valid."""
    t = tokens.reshape(*tokens.shape[:-1], -1, NUM_LEN).long()
    sign = torch.where(t[..., 0] == MINUS, -1.0, 1.0).to(torch.float64)
    e = t[..., 1].clamp(0, MAX_EXP)
    m = t[..., 2] * 1000 + t[..., 3] * 100 + t[..., 4] * 10 + t[..., 5]
    # division by an exact power of ten rounds once: the nearest float to the decimal
    return sign * m.to(torch.float64) / _pow10(e)


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Round values to the representable grid (decode after encode)."""
    return decode(encode(x))
