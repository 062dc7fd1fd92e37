"""Run store: round trips, filters, resume bookkeeping, schema guard, concurrency, export tables."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentbench.config import ModelConfig, SystemConfig
from agentbench.errors import DataError
from agentbench.records import (
    ChoiceOutcome,
    ExitStatus,
    SampleKey,
    SampleResult,
    SampleStatus,
    TestOutcome,
    Usage,
)
from agentbench.store.export import per_test_table, samples_frame, samples_table, systems_table
from agentbench.store.runstore import RunStore
from agentbench.store.schema import STORE_SCHEMA_VERSION


def _system(name: str = "s1", temp: float = 0.5) -> SystemConfig:
    return SystemConfig(
        name=name, model=ModelConfig(provider="scripted", name="m", temperature=temp), scaffold="x"
    )


def _key(
    inst: str = "i1", seed: int = 0, sys: SystemConfig | None = None, task: str = "t"
) -> SampleKey:
    s = sys or _system()
    return SampleKey(
        task=task, instance_id=inst, system=s.name, system_hash=s.config_hash(), seed=seed
    )


def _tests_result(key: SampleKey, passed: list[bool], cost: float | None = 0.01) -> SampleResult:
    tests = [f"test_{i}" for i in range(len(passed))]
    return SampleResult(
        key=key,
        status=SampleStatus.DONE,
        outcome=TestOutcome(
            tests=tests,
            passed=passed,
            fail_to_pass=tests[:1],
            pass_to_pass=tests[1:],
            resolved=all(passed),
        ),
        resolved=all(passed),
        exit_status=ExitStatus.SUBMITTED,
        n_actions=3,
        length=3.0,
        usage=Usage(input_tokens=10, output_tokens=5),
        cost_usd=cost,
        started_at=1.0,
        finished_at=2.0,
        wall_s=1.0,
        trajectory_path=f"trajectories/{key.key}.jsonl",
    )


def test_round_trip_every_outcome_kind(tmp_path: Path) -> None:
    with RunStore.create(tmp_path / "run", {"name": "x"}) as store:
        k1, k2, k3 = _key(seed=0), _key(seed=1), _key(seed=2)
        r1 = _tests_result(k1, [True, False], cost=None)
        r2 = SampleResult(
            key=k2,
            status=SampleStatus.DONE,
            outcome=ChoiceOutcome(probs=[0.25, 0.75], target=1),
            resolved=True,
            length=12.0,
        )
        r3 = SampleResult(
            key=k3, status=SampleStatus.MISSING, attempts=3, error="sandbox: no start"
        )
        for r in (r1, r2, r3):
            store.put(r)
        assert store.get(k1.key) == r1
        assert store.get(k2) == r2
        assert store.get(k3.key) == r3
        assert store.get("nope") is None
        assert store.done_keys() == {k1.key, k2.key}
        assert store.spec() == {"name": "x"}
    # reopened from disk: same rows
    with RunStore.open(tmp_path / "run") as store:
        assert store.get(k1.key) == r1
        st_ = store.stats()
        assert st_.by_status == {"done": 2, "missing": 1}
        assert st_.n_cost_unknown == 3  # all three unknown; never summed as 0
        assert st_.cost_usd == 0.0


def test_filters_instances_and_systems(tmp_path: Path) -> None:
    a, b = _system("a", 0.1), _system("b", 0.9)
    with RunStore.create(tmp_path / "run") as store:
        store.register_system(a)
        store.register_system(b)
        rows = []
        for sys in (a, b):
            for inst in ("i1", "i2"):
                for seed in range(3):
                    rows.append(_tests_result(_key(inst, seed, sys), [seed % 2 == 0, True]))
        store.put_many(rows)
        assert store.count() == 12
        assert store.count(system="a") == 6
        assert store.count(system=b.config_hash(), instance_id="i2") == 3
        assert store.count(resolved=True) == 8
        got = list(store.iter_results(system="b", instance_id="i1", order="cell"))
        assert [r.key.seed for r in got] == [0, 1, 2]
        page = list(store.iter_results(limit=5, offset=10))
        assert len(page) == 2
        inst = store.instances(system="a")
        assert [(i.instance_id, i.n_samples, i.n_resolved) for i in inst] == [
            ("i1", 3, 2),
            ("i2", 3, 2),
        ]
        assert [s.name for s in store.systems()] == ["a", "b"]
        assert store.systems()[0].n_samples == 6
        with pytest.raises(TypeError):
            store.count(bogus=1)


def test_renamed_system_keeps_samples(tmp_path: Path) -> None:
    a = _system("old")
    with RunStore.create(tmp_path / "run") as store:
        store.register_system(a)
        store.put(_tests_result(_key(sys=a), [True]))
        renamed = a.model_copy(update={"name": "new"})
        store.register_system(renamed)
        assert [s.name for s in store.systems()] == ["new"]
        assert store.count(system="new") == 1
        assert next(store.iter_results()).key.system == "new"


def test_mark_running_never_downgrades_done(tmp_path: Path) -> None:
    with RunStore.create(tmp_path / "run") as store:
        k = _key()
        store.mark_running_async(k).result()
        assert store.get(k).status == SampleStatus.RUNNING
        assert store.done_keys() == set()
        store.put(_tests_result(k, [True]))
        store.mark_running_async(k).result()
        assert store.get(k).status == SampleStatus.DONE


def test_newer_schema_is_a_data_error(tmp_path: Path) -> None:
    RunStore.create(tmp_path / "run").close()
    conn = sqlite3.connect(tmp_path / "run" / "store.sqlite")
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(STORE_SCHEMA_VERSION + 1),)
    )
    conn.commit()
    conn.close()
    with pytest.raises(DataError, match="newer"):
        RunStore.open(tmp_path / "run")


def test_missing_and_corrupt_stores(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no run store"):
        RunStore.open(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "store.sqlite").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DataError, match=r"store\.sqlite"):
        RunStore.open(tmp_path / "bad")


def test_many_threads_write_through_one_writer(tmp_path: Path) -> None:
    with RunStore.create(tmp_path / "run") as store:

        def work(t: int) -> None:
            for s in range(50):
                store.put(_tests_result(_key(f"i{t}", s), [True]))
                assert store.get(_key(f"i{t}", s).key) is not None  # durable once put returns

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert store.count() == 400


def test_arrow_frame_and_tests_tables(tmp_path: Path) -> None:
    with RunStore.create(tmp_path / "run") as store:
        store.register_system(_system())
        store.put(_tests_result(_key(seed=0), [True, False, True], cost=None))
        store.put(_tests_result(_key(seed=1), [True, True, True], cost=0.5))
        table = samples_table(store)
        assert table.num_rows == 2
        df = samples_frame(store)
        assert df["cost_usd"].isna().sum() == 1  # unknown stays unknown
        assert df["resolved"].tolist() == [False, True] or df["resolved"].tolist() == [True, False]
        assert str(df["seed"].dtype) == "Int64" and str(df["resolved"].dtype) == "boolean"
        tests = per_test_table(store)
        assert tests.num_rows == 6
        assert sum(tests.column("passed").to_pylist()) == 5
        assert tests.column("fail_to_pass").to_pylist().count(True) == 2
        assert systems_table(store).num_rows == 1


@settings(max_examples=25, deadline=None)
@given(
    passed=st.lists(st.booleans(), min_size=1, max_size=6),
    seed=st.integers(min_value=0, max_value=2**31),
    cost=st.one_of(st.none(), st.floats(min_value=0, max_value=1e3)),
    inst=st.text(min_size=1, max_size=20),
)
def test_put_get_is_identity(tmp_path_factory, passed, seed, cost, inst) -> None:
    run = tmp_path_factory.mktemp("prop")
    with RunStore.create(run) as store:
        r = _tests_result(_key(inst, seed), passed, cost=cost)
        store.put(r)
        assert store.get(r.key.key) == r


def test_synthetic_store_fills_and_queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench"))
    from synthetic_store import fill_synthetic_store  # the bench fixture

    n = fill_synthetic_store(tmp_path / "syn", n_systems=2, n_instances=7, n_seeds=5, chunk=13)
    assert n == 70
    with RunStore.open(tmp_path / "syn") as store:
        assert store.count() == 70
        assert len(store.systems()) == 2
        rows = store.instances(system="sys0")
        assert len(rows) == 7 and all(r.n_samples == 5 for r in rows)
        assert sum(r.n_done + r.n_missing for r in rows) == 35
        assert per_test_table(store).num_rows == 6 * store.count(status="done")
