"""Seeds → (context, sample, option order): deterministic, even over contexts, mapped back."""

from __future__ import annotations

from agentbench.tasks.mc import MCTask, make_task
from agentbench.tasks.mc.extract import extract_letter
from agentbench.tasks.mc.questions import LETTERS
from agentbench.tasks.mc.unroll import to_original


def _task(**kw: object) -> MCTask:
    spec = {"kind": "mc", "dataset": {"n": 6, "difficulty": [1, 2]}, "contexts": 10, "shots": 3}
    return make_task({**spec, **kw})


def test_seed_maps_to_context_and_sample() -> None:
    t = _task()
    q = t.instance_ids()[0]
    units = [t.unroll(q, s) for s in range(30)]
    assert [(u.context, u.sample) for u in units[:12]] == [(s % 10, s // 10) for s in range(12)]
    # 10 contexts × 3 samples; every context has the same examples for its 3 samples
    for c in range(10):
        shots = {u.shots for u in units if u.context == c}
        assert len(shots) == 1 and len(next(iter(shots))) == 3
    assert len({u.shots for u in units}) > 5  # contexts differ
    assert all(q not in u.shots for u in units)  # a question is never its own example
    assert len({u.request_seed for u in units}) == 30


def test_rebuilt_prompt_is_identical() -> None:
    a, b = _task(shuffle=True), _task(shuffle=True)
    for q in a.instance_ids()[:3]:
        for s in (0, 7, 29):
            assert a.prompt(q, s) == b.prompt(q, s)


def test_shuffle_changes_order_and_answers_map_back() -> None:
    t = _task(shuffle=True)
    q = t.question(t.instance_ids()[3])
    orders = {t.unroll(q.id, s).order for s in range(30)}
    assert len(orders) > 5
    for s in range(30):
        u = t.unroll(q.id, s)
        shown = t.prompt(q.id, s)[-1].content
        # the letter under which the correct option is shown in this unroll
        j = u.order.index(q.target)
        assert f"({LETTERS[j]}) {q.options[q.target]}" in shown
        probs = to_original(extract_letter(f"Answer: {LETTERS[j]}", q.n_options).probs, u.order)
        assert probs.index(1.0) == q.target


def test_no_shuffle_keeps_order() -> None:
    t = _task()
    q = t.instance_ids()[0]
    assert {t.unroll(q, s).order for s in range(10)} == {(0, 1, 2, 3)}
