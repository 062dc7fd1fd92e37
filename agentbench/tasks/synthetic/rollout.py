"""Roll a trained model out as an optimizer: constrained greedy decoding, batched (torch only)."""

from __future__ import annotations

import torch

from agentbench.tasks.synthetic import tokenizer as tok
from agentbench.tasks.synthetic.data import Problem, prompt_tokens
from agentbench.tasks.synthetic.model import DecoderLM
from agentbench.tasks.synthetic.train import autocast


def constrained_argmax(logits: torch.Tensor, sign_slot: bool) -> torch.Tensor:
    """Greedy token under the slot constraint: a sign slot emits '+'/'−', a digit slot 0–9.

    The vocabulary puts digits at ids 0–9 and the signs at 10–11, so a slice is the mask.
    """
    if sign_slot:
        return logits[:, tok.PLUS : tok.MINUS + 1].argmax(dim=-1) + tok.PLUS
    return logits[:, : len(tok.DIGITS)].argmax(dim=-1)


@torch.no_grad()
def predict_update_tokens(model: DecoderLM, x: torch.Tensor) -> torch.Tensor:
    """Greedy update tokens (N, d·6) for iterates x (N, d), one cached decode step per token."""
    d = x.shape[1]
    prompt = prompt_tokens(x)
    cache = model.new_cache()
    with autocast(x.device):
        logits = model(prompt, cache, start=0)[:, -1]
        out = []
        n_tokens = d * tok.NUM_LEN
        for j in range(n_tokens):
            nxt = constrained_argmax(logits, j % tok.NUM_LEN == tok.SIGN_SLOT)
            out.append(nxt)
            if j + 1 < n_tokens:
                logits = model(nxt[:, None], cache, start=prompt.shape[1] + j)[:, -1]
    return torch.stack(out, dim=1)


@torch.no_grad()
def rollout(
    model: DecoderLM, x0: torch.Tensor, steps: int, record_every: int = 1
) -> tuple[torch.Tensor, list[int]]:
    """Iterates of a model rollout from starts x0 (N, d), kept every `record_every` steps.

    Returns (records (R, N, d) float64 on x0's device, the step index of each record);
    step 0 and the final step are always recorded. The iterate itself stays in float64;
    only what the model reads is quantised, by re-tokenising it each step.
    """
    model.eval()
    x = x0.to(torch.float64)
    recs, idx = [x.clone()], [0]
    for t in range(1, steps + 1):
        x = x + tok.decode(predict_update_tokens(model, x))
        if t % record_every == 0 or t == steps:
            recs.append(x.clone())
            idx.append(t)
    return torch.stack(recs), idx


def ground_truth_rollout(
    problem: Problem, x0: torch.Tensor, steps: int, record_every: int = 1
) -> tuple[torch.Tensor, list[int]]:
    """The exact steepest-descent iterates at the same record steps, for reference."""
    from agentbench.tasks.synthetic.data import trajectories

    traj = trajectories(problem, x0, steps)
    idx = sorted({*range(0, steps + 1, record_every), steps})
    return traj[:, idx].transpose(0, 1).contiguous(), idx
