"""The .eval reader: zstd entries inspect_ai wrote, and hostile archives refused in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from agentbench.errors import DataError
from agentbench.importers.evalzip import EvalArchive
from agentbench.safeio import InputLimitError
from tests.analysis.zipcraft import write_zip, zstd_chunks

ZSTD = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "inspect" / "zstd"
HEADER = json.dumps({"eval": {"task": "bomb", "model": "mockllm/model"}}).encode()


def _entry(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    comp, crc, size = zstd_chunks([data])
    return name, comp, crc, size


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_zstd_entries_written_by_inspect_ai_are_read() -> None:
    """The checked-in logs are method 93 throughout, which zipfile alone cannot read."""
    log = ZSTD / "mc_choices.eval"
    with zipfile.ZipFile(log) as zf:
        assert {i.compress_type for i in zf.infolist()} == {93}
        with pytest.raises(NotImplementedError):
            zf.read("header.json")
    with EvalArchive(log) as ar:
        assert ar.json("header.json")["eval"]["task"] == "mc_choices"
        samples = [n for n in ar.names() if n.startswith("samples/")]
        assert len(samples) == 9
        s = ar.json("samples/mc2_epoch_2.json")
        assert (s["id"], s["epoch"], s["target"]) == ("mc2", 2, "C")


def test_deflate_and_stored_entries_still_read(tmp_path: Path) -> None:
    p = tmp_path / "d.eval"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("a.json", b'{"x": 1}', compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("b.json", b"[1, 2]", compress_type=zipfile.ZIP_STORED)
    with EvalArchive(p) as ar:
        assert ar.json("a.json") == {"x": 1} and ar.json("b.json") == [1, 2]


def test_an_entry_past_its_cap_is_refused_whatever_its_header_declares(tmp_path: Path) -> None:
    name, comp, crc, _ = _entry("samples/1_epoch_1.json", b" " * (3 << 20))
    p = write_zip(tmp_path / "lie.eval", [(name, comp, crc, 10)])  # declares 10 bytes
    with EvalArchive(p, max_entry_bytes=1 << 20) as ar, pytest.raises(InputLimitError) as exc:
        ar.read(name)
    msg = _one_line(exc)
    assert msg.startswith(f"{p}: entry samples/1_epoch_1.json: more than 1,048,576 bytes")
    assert "per-entry limit" in msg


def test_the_total_over_all_entries_is_capped(tmp_path: Path) -> None:
    entries = [
        _entry(f"samples/{i}_epoch_1.json", b"[" + b"0," * 300_000 + b"0]") for i in range(3)
    ]
    p = write_zip(tmp_path / "many.eval", entries)
    with EvalArchive(p, max_total_bytes=1_500_000) as ar:
        ar.json(entries[0][0])
        ar.json(entries[1][0])
        with pytest.raises(InputLimitError) as exc:
            ar.json(entries[2][0])
    msg = _one_line(exc)
    assert "entry samples/2_epoch_1.json" in msg and "1,500,000" in msg and "total limit" in msg


def test_too_many_entries_and_too_deep_json_are_refused(tmp_path: Path) -> None:
    p = write_zip(tmp_path / "n.eval", [_entry(f"e{i}", b"1") for i in range(5)])
    with pytest.raises(InputLimitError) as exc:
        EvalArchive(p, max_entries=4)
    assert _one_line(exc) == (
        f"{p}: 5 entries, over the limit of 4 (re-export the log with inspect_ai, or raise the "
        "limit (agentbench.importers.evalzip))"
    )
    deep = write_zip(tmp_path / "d.eval", [_entry("header.json", b"[" * 300 + b"]" * 300)])
    with EvalArchive(deep) as ar, pytest.raises(InputLimitError) as exc:
        ar.json("header.json")
    assert f"{deep}: entry header.json: JSON nested 300 levels deep" in _one_line(exc)


def test_truncated_and_corrupt_archives_are_one_line(tmp_path: Path) -> None:
    real = (ZSTD / "qa.eval").read_bytes()
    cut = tmp_path / "cut.eval"
    cut.write_bytes(real[: len(real) // 2])
    with pytest.raises(DataError, match=r"cut\.eval: not a zip archive") as exc:
        EvalArchive(cut)
    _one_line(exc)
    name, comp, crc, size = _entry("header.json", HEADER)
    bad = write_zip(tmp_path / "crc.eval", [(name, comp, crc ^ 1, size)])
    with EvalArchive(bad) as ar, pytest.raises(DataError, match=r"entry header\.json: CRC check"):
        ar.read(name)
    garbled = write_zip(
        tmp_path / "z.eval", [(name, b"\x28\xb5\x2f\xfd" + b"\xff" * 20, crc, size)]
    )
    with EvalArchive(garbled) as ar, pytest.raises(DataError) as exc:
        ar.read(name)
    assert "entry header.json: cannot decompress" in _one_line(exc)
    other = write_zip(tmp_path / "m.eval", [(name, HEADER, zlib.crc32(HEADER), len(HEADER))], 14)
    with EvalArchive(other) as ar, pytest.raises(DataError, match="method 14 is not supported"):
        ar.read(name)


def test_a_zip_bomb_is_refused_by_the_cli_in_bounded_memory(tmp_path: Path) -> None:
    """2 GiB of zeros in a ~100 KB .eval: one line, exit 2, nothing written, RSS far below 2 GiB."""
    zeros = bytes(1 << 20)
    comp, crc, size = zstd_chunks((zeros for _ in range(2048)), level=1)
    bomb = write_zip(
        tmp_path / "bomb.eval",
        [_entry("header.json", HEADER), ("samples/1_epoch_1.json", comp, crc, 100)],
    )
    assert size == 2 << 30 and bomb.stat().st_size < 1_000_000
    run = tmp_path / "run"
    # the CLI in a child that reports its own peak RSS on exit (KiB on Linux)
    code = (
        "import atexit, resource, sys\n"
        "atexit.register(lambda: print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF)"
        ".ru_maxrss, file=sys.stderr))\n"
        "from agentbench.cli import main\n"
        f"sys.argv = ['agentbench', 'import', 'inspect', {str(run)!r}, {str(bomb)!r}]\n"
        "main()\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "400"},
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 2 and lines[1].startswith("MAXRSS"), r.stderr
    assert "Traceback" not in r.stderr
    assert "bomb.eval: entry samples/1_epoch_1.json: more than 536,870,912 bytes" in lines[0]
    assert int(lines[1].split()[1]) < 1_100_000  # KiB: the cap (512 MiB) plus the interpreter
    assert not run.exists()
