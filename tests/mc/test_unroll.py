"""Seeds → (context, sample, option order): deterministic, even over contexts, mapped back."""

from __future__ import annotations

from pathlib import Path

from agentbench.tasks.mc import MCTask
from agentbench.tasks.mc.extract import extract_letter
from agentbench.tasks.mc.questions import LETTERS
from agentbench.tasks.mc.unroll import to_original
from tests.mc.helpers import write_rows


def _task(**kw: object) -> MCTask:
    spec = {"kind": "mc", "dataset": {"n": 6, "difficulty": [1, 2]}, "contexts": 10, "shots": 3}
    return MCTask.from_spec({**spec, **kw})


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


def test_fewshot_from_a_separate_split_and_same_subject(tmp_path: Path) -> None:
    test_rows = [
        {"question": f"math {i}?", "subject": "math", "choices": ["1", "2"], "answer": 0}
        for i in range(3)
    ] + [{"question": "geo?", "subject": "geo", "choices": ["x", "y"], "answer": 1}]
    dev_rows = [
        {"question": f"dev math {i}?", "subject": "math", "choices": ["3", "4"], "answer": 1}
        for i in range(5)
    ] + [{"question": "dev geo?", "subject": "geo", "choices": ["p", "q"], "answer": 0}]
    test = write_rows(tmp_path / "test.jsonl", test_rows)
    dev = write_rows(tmp_path / "dev.jsonl", dev_rows)
    t = MCTask.from_spec({"kind": "mc", "shots": 2, "contexts": 3,
                   "dataset": {"source": "mmlu", "path": str(test), "split": "test"},
                   "fewshot": {"source": "mmlu", "path": str(dev), "split": "dev"}})  # fmt: skip
    for s in range(6):
        shots = t.unroll("math-test-00000", s).shots
        assert len(shots) == 2 and all(x.startswith("math-dev-") for x in shots)
        # geo has one dev example: too few for 2 shots, so any subject is used
        assert len(t.unroll("geo-test-00003", s).shots) == 2
    msgs = t.prompt("math-test-00000", 0)
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert msgs[1].content.startswith("dev math") and msgs[2].content == "Answer: B"
    assert msgs[-1].content.startswith("math 0?")
