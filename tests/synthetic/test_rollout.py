"""Constrained greedy decoding never emits an invalid token; rollouts move the iterate."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.tasks.synthetic import data
from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.model import build_model
from agentbench.tasks.synthetic.rollout import (
    constrained_argmax,
    ground_truth_rollout,
    predict_update_tokens,
    rollout,
)
from agentbench.tasks.synthetic.sizes import load_sizes


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e4, 1e4), min_size=tok.VOCAB_SIZE, max_size=tok.VOCAB_SIZE), st.booleans()
)
def test_constrained_argmax_picks_the_best_allowed_token(logits: list[float], sign: bool) -> None:
    t = torch.tensor([logits], dtype=torch.float64)
    got = int(constrained_argmax(t, sign))
    allowed = [tok.PLUS, tok.MINUS] if sign else list(range(10))
    assert got in allowed
    assert logits[got] == max(logits[i] for i in allowed)


def _adversarial_model() -> torch.nn.Module:
    """A model whose unconstrained argmax is always a structural token (BOS/SEP) or the wrong kind."""
    torch.manual_seed(0)
    model = build_model("tiny", load_sizes(), 50)
    with torch.no_grad():
        model.tok.weight[tok.BOS] *= 0
        model.tok.weight[tok.SEP] *= 0
        model.ln_f.bias.copy_(model.tok.weight[tok.PLUS] * 0 + 1.0)
        model.tok.weight[tok.BOS] += 50.0  # dominates every logit through the tied head
    return model


def test_decoding_never_emits_an_invalid_token() -> None:
    model = _adversarial_model()
    p = data.make_problem(seed=0)
    x = data.sample_starts(p, 40, torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw = model(data.prompt_tokens(x))[:, -1].argmax(-1)
    assert (raw == tok.BOS).all()  # unconstrained decoding would break the format
    out = predict_update_tokens(model, x)
    assert out.shape == (40, 24)
    sign_pos = torch.arange(4 * tok.NUM_LEN) % tok.NUM_LEN == tok.SIGN_SLOT
    assert torch.isin(out[:, sign_pos], torch.tensor([tok.PLUS, tok.MINUS])).all()
    assert ((out[:, ~sign_pos] >= 0) & (out[:, ~sign_pos] <= 9)).all()
    for seed in range(3):  # and for random untrained models
        torch.manual_seed(seed)
        m = build_model("5k", load_sizes(), 50)
        o = predict_update_tokens(m, x)
        assert torch.isin(o[:, sign_pos], torch.tensor([tok.PLUS, tok.MINUS])).all()
        assert (o[:, ~sign_pos] <= 9).all()


def test_rollout_records_and_ground_truth_agree_in_shape() -> None:
    p = data.make_problem(seed=0)
    x0 = data.sample_starts(p, 6, torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    recs, steps = rollout(build_model("tiny", load_sizes(), 50), x0, 7, record_every=3)
    assert steps == [0, 3, 6, 7] and recs.shape == (4, 6, 4)
    assert torch.equal(recs[0], x0)
    g, gsteps = ground_truth_rollout(p, x0, 7, record_every=3)
    assert gsteps == steps and g.shape == recs.shape
    moved = (g[1] - g[0]).norm(dim=-1)
    assert bool(((moved > 0) & (moved <= 3 * 0.005 + 1e-12)).all())
