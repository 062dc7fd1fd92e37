"""Model family, KV cache, schedule, checkpoints and bit-exact resume."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch

from agentbench.errors import DataError
from agentbench.tasks.synthetic import data
from agentbench.tasks.synthetic.model import DecoderLM, ModelShape, build_model
from agentbench.tasks.synthetic.sizes import load_sizes
from agentbench.tasks.synthetic.train import Trainer, TrainHParams, load_checkpoint, lr_at


def test_size_table_spans_50k_to_5m() -> None:
    sizes = load_sizes()
    nominal = {"50k": 5e4, "100k": 1e5, "200k": 2e5, "500k": 5e5, "1m": 1e6, "2m": 2e6, "5m": 5e6}
    for name, target in nominal.items():
        shape = ModelShape(**sizes[name])
        n = shape.param_count()
        assert 0.75 * target < n < 1.3 * target, (name, n)
        model = DecoderLM(shape)
        assert sum(p.numel() for p in model.parameters()) == n


def test_kv_cache_decoding_matches_full_forward() -> None:
    torch.manual_seed(0)
    model = build_model("5k", load_sizes(), 50).eval()
    seq = torch.randint(0, 14, (3, 50))
    with torch.no_grad():
        full = model(seq)
        cache = model.new_cache()
        parts = [model(seq[:, :26], cache, start=0)]
        parts += [model(seq[:, t : t + 1], cache, start=t) for t in range(26, 50)]
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5)


def test_lr_schedule_warms_up_then_decays_to_the_floor() -> None:
    hp = TrainHParams(steps=1000, lr=1e-3, warmup_steps=100, min_lr_ratio=0.1)
    assert lr_at(hp, 0) == pytest.approx(1e-5)
    assert lr_at(hp, 99) == pytest.approx(1e-3)
    assert lr_at(hp, 550) == pytest.approx(0.55e-3)
    assert lr_at(hp, 1000) == pytest.approx(1e-4)
    lrs = [lr_at(hp, s) for s in range(100, 1001)]
    assert all(a >= b for a, b in itertools.pairwise(lrs))


def _trainer(seed: int = 0) -> Trainer:
    p = data.make_problem(seed=0, start_offset=0.5, start_radius=0.15)
    x = data.generate_iterates(p, 16, 64, seed=1)
    torch.manual_seed(seed)
    model = build_model("tiny", load_sizes(), data.seq_len(4))
    return Trainer(model, p, x, TrainHParams(steps=40, batch_size=32, warmup_steps=5, seed=seed))


def test_resume_is_bit_exact(tmp_path: Path) -> None:
    straight = _trainer()
    straight.train()
    first = _trainer()
    ck = tmp_path / "ck.pt"
    first.train(until=17, every=17, checkpoint=ck)
    resumed = _trainer()
    resumed.load(ck)
    assert resumed.step == 17
    resumed.train()
    for (name, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    s1, s2 = straight.opt.state_dict()["state"], resumed.opt.state_dict()["state"]
    assert all(torch.equal(s1[k]["exp_avg"], s2[k]["exp_avg"]) for k in s1)


def test_bad_checkpoints_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="unreadable checkpoint"):
        load_checkpoint(bad)
    torch.save({"model": {}}, bad)
    with pytest.raises(DataError, match="lacks"):
        load_checkpoint(bad)
    t = _trainer()
    t.save(tmp_path / "ok.pt")
    p = data.make_problem(seed=0)
    other = Trainer(build_model("5k", load_sizes(), 50), p, t.train_x, t.hp)
    with pytest.raises(DataError, match="model shape"):
        other.load(tmp_path / "ok.pt")


def test_loss_counts_exactly_the_update_tokens() -> None:
    # the loss must score the tokens after SEP (the update) and nothing of the iterate
    from agentbench.tasks.synthetic import tokenizer as tok
    from agentbench.tasks.synthetic.train import update_loss

    p = data.make_problem(seed=0)
    x = data.sample_starts(p, 8, torch.Generator().manual_seed(0))
    seqs = data.make_sequences(p, x)
    torch.manual_seed(0)
    model = build_model("tiny", load_sizes(), data.seq_len(4))
    with torch.no_grad():
        logits = model(seqs[:, :-1])
        per_pos = torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), seqs[:, 1:], reduction="none"
        )
        sep = int((seqs[0] == tok.SEP).nonzero())
        # target index j is token j + 1: the update tokens are those after SEP
        scored = torch.arange(seqs.shape[1] - 1) + 1 > sep
        assert int(scored.sum()) == 4 * tok.NUM_LEN
        assert torch.equal(
            tok.decode(seqs[:, 1:][:, scored]), tok.quantize(data.steepest_step(p, x))
        )
        assert float(update_loss(model, seqs, 4)) == pytest.approx(float(per_pos[:, scored].mean()))
