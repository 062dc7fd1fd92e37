"""A sweep on a real three-node Ray cluster on one machine: a head and two worker nodes, each in
its own network namespace joined by veth pairs to a bridge in a fourth namespace (10.77.0.0/24,
created here and deleted after), each worker with a private tmpfs working directory, the driver's run folder on
a tmpfs only the head's mount namespace sees. Every file must reach the driver through Ray."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .netns_cluster import cluster as start_cluster
from .netns_cluster import drive, unavailable

pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, int]]:
    """The three-node cluster of netns_cluster; yields the workers' raylet pids."""
    pytest.importorskip("ray")
    why = unavailable()
    if why:
        pytest.skip(why)
    with start_cluster(tmp_path) as raylets:
        yield raylets


def test_multinode_sweep_ships_everything(cluster: dict[str, int], tmp_path: Path) -> None:
    res = drive()
    assert sorted((n["ip"], n["cpus"]) for n in res["nodes"]) == [
        ("10.77.0.2", 0),  # the head takes no samples: all ran on the two workers
        ("10.77.0.3", 1),
        ("10.77.0.4", 1),
    ]
    assert len(res["local"]) == 12
    assert res["ray"] == res["local"]  # same keys, statuses, outcomes, attempts
    assert res["shipping_problems"] == []  # every trajectory is in the driver's run folder
    assert res["calls_ray"] == 12


def test_lost_worker_node_loses_nothing(cluster: dict[str, int], tmp_path: Path) -> None:
    res = drive(str(cluster["abw1"]))
    assert res["killed"]
    ray_rows, local_rows = res["ray"], res["local"]
    assert sorted(ray_rows) == sorted(local_rows)  # 0 samples lost
    assert all(v[0] == "done" for v in ray_rows.values())
    # same outcomes; the samples cut off on the lost node took more than one attempt
    assert {k: v[1] for k, v in ray_rows.items()} == {k: v[1] for k, v in local_rows.items()}
    attempts = {k: v[2] for k, v in ray_rows.items()}
    assert max(attempts.values()) > 1  # the samples cut off on the lost node were retried
    # 0 run twice: at most one model call per attempt (the cut-off attempt may have died
    # before its call), one record per sample, and only the cut-off samples were repeated
    assert 12 <= res["calls_ray"] <= sum(attempts.values())
    assert res["shipping_problems"] == []


@pytest.mark.docker
def test_docker_samples_run_on_workers_can_be_viewed_replayed_and_pruned(
    cluster: dict[str, int], tmp_path: Path, base_image: str
) -> None:
    res = drive("docker")

    def vectors(rows: dict) -> dict:  # grading times and log excerpts differ run to run
        return {k: (v[0], v[1]["passed"], v[1]["resolved"]) for k, v in rows.items()}

    assert len(res["local"]) == 4 and vectors(res["ray"]) == vectors(res["local"])
    assert res["shipping_problems"] == []
    # every trajectory page renders from the driver's folder; the fixing seeds show their sed
    assert {k: v[0] for k, v in res["pages"].items()} == dict.fromkeys(res["local"], 200)
    assert sum(v[1] for v in res["pages"].values()) == 3  # seeds 0, 2, 3 ran the fix
    # replay re-runs each recorded action in a fresh sandbox here: same observations
    assert all(r["error"] is None and r["n_differ"] == 0 for r in res["replays"].values()), res
    assert sorted(r["n_actions"] for r in res["replays"].values()) == [0, 1, 1, 2]
    assert res["prune_rc"] == 0 and res["containers_left"] == []


@pytest.mark.docker
def test_a_node_lost_under_docker_samples_leaves_no_container_after_prune(
    cluster: dict[str, int], tmp_path: Path, base_image: str
) -> None:
    res = drive(f"docker-kill:{cluster['abw1']}")
    assert res["killed"]
    ray_rows, local_rows = res["ray"], res["local"]
    assert sorted(ray_rows) == sorted(local_rows)  # 0 samples lost
    assert {k: (v[0], v[1]["passed"]) for k, v in ray_rows.items()} == {
        k: (v[0], v[1]["passed"]) for k, v in local_rows.items()
    }
    assert max(v[2] for v in ray_rows.values()) > 1  # the cut-off sample was retried
    assert res["shipping_problems"] == []
    # the lost node's sandboxes went with it: their supervisor ends when its owner's attach
    # stream closes, SIGKILL included; prune finds nothing of this sweep either
    assert res["containers_before_prune"] == []
    assert res["prune_rc"] == 0 and res["containers_left"] == []
