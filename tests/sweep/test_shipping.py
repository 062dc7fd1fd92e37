"""Files a worker wrote reach the driver's run folder whole (size and sha256 checked), in
chunks, and a broken transfer leaves the run folder as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentbench.errors import InfraError
from agentbench.sweep.shipping import CHUNK_BYTES, Receiver, chunks, manifest


def _worker_dir(tmp_path: Path) -> Path:
    w = tmp_path / "worker"
    (w / "trajectories" / "t" / "q0").mkdir(parents=True)
    big = os.urandom(CHUNK_BYTES * 2 + 123)  # three chunks
    (w / "trajectories" / "t" / "q0" / "k.jsonl").write_bytes(big)
    (w / "grading").mkdir()
    (w / "grading" / "k.log").write_text("PASSED\n")
    (w / "empty.txt").write_bytes(b"")
    return w


def test_files_arrive_whole_in_chunks(tmp_path: Path) -> None:
    w = _worker_dir(tmp_path)
    files = manifest(w)
    assert [f["path"] for f in files] == [
        "empty.txt",
        "grading/k.log",
        "trajectories/t/q0/k.jsonl",
    ]
    pieces = list(chunks(w, files))
    assert max(len(p["data"]) for p in pieces) == CHUNK_BYTES
    assert len(pieces) == 4  # the log in one, the trajectory in three, nothing for empty
    run = tmp_path / "run"
    rx = Receiver(run, files)
    for p in pieces:
        rx.write(p)
    rx.finish()
    for f in files:
        assert (run / f["path"]).read_bytes() == (w / f["path"]).read_bytes()
    assert not list(run.rglob(".*.ship-*"))


def test_truncated_transfer_leaves_nothing(tmp_path: Path) -> None:
    w = _worker_dir(tmp_path)
    files = manifest(w)
    run = tmp_path / "run"
    (run / "grading").mkdir(parents=True)
    (run / "grading" / "k.log").write_text("from an earlier attempt\n")
    rx = Receiver(run, files)
    for p in list(chunks(w, files))[:-1]:  # the worker died before the last chunk
        rx.write(p)
    with pytest.raises(InfraError, match=r"trajectories/t/q0/k\.jsonl: got"):
        rx.finish()
    rx.abort()
    assert (run / "grading" / "k.log").read_text() == "from an earlier attempt\n"
    assert not (run / "trajectories" / "t" / "q0" / "k.jsonl").exists()
    assert not list(run.rglob(".*.ship-*"))


def test_corrupted_chunk_is_refused(tmp_path: Path) -> None:
    w = _worker_dir(tmp_path)
    files = manifest(w)
    rx = Receiver(tmp_path / "run", files)
    for p in chunks(w, files):
        if p["i"] == 1:
            p = {"i": 1, "data": b"FAILED\n"}
        rx.write(p)
    with pytest.raises(InfraError, match=r"grading/k\.log"):
        rx.finish()
    rx.abort()
    assert not (tmp_path / "run" / "grading" / "k.log").exists()


@pytest.mark.parametrize("rel", ["../evil", "/etc/passwd", "a/../../b"])
def test_paths_outside_the_run_folder_are_refused(tmp_path: Path, rel: str) -> None:
    with pytest.raises(InfraError, match="outside the run folder"):
        Receiver(tmp_path / "run", [{"path": rel, "size": 0, "sha256": ""}])
    assert not (tmp_path / "evil").exists()
