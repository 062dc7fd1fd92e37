"""The report's summary against hand-made per-step arrays (no training needed)."""

from __future__ import annotations

import numpy as np
import pytest

from agentbench.analysis.synthetic import late_window, markdown, summarize


def _size(name: str, params: int, bias2: list[float], variance: list[float]) -> dict:
    b2, var = np.array(bias2), np.array(variance)
    return {
        "size": name,
        "train": {"params": params, "heldout_loss": 1.0, "untrained_heldout_loss": 2.6},
        "steps": np.arange(len(b2)),
        "bias2": b2,
        "variance": var,
        "error": b2 + var,
        "incoherence": var / (b2 + var),
        "mean_dist": np.sqrt(b2 + var),
    }


def test_late_window_is_the_last_quarter() -> None:
    assert late_window(np.arange(9)).tolist() == [False] * 6 + [True] * 3


def test_slopes_and_the_finding_from_hand_made_rollouts() -> None:
    # 10x the parameters: final bias² 1 -> 0.01 (slope -2), variance 1 -> 0.1 (slope -1);
    # over steps 6..8 (the last quarter) bias² means 1 and 0.01, variance 2 and 0.2
    small = _size("s", 1_000, [4, 3, 3, 2, 2, 2, 1, 1, 1], [1, 1, 1, 1, 1, 1, 3, 2, 1])
    big = _size("b", 10_000, [4, 3, 2, 1, 1, 1, 0.01, 0.01, 0.01], [1] * 6 + [0.3, 0.2, 0.1])
    s = summarize({"sizes": [small, big], "ground_truth": None})
    f = s["findings"]
    assert f["bias2_loglog_slope_vs_params"] == pytest.approx(-2.0)
    assert f["variance_loglog_slope_vs_params"] == pytest.approx(-1.0)
    assert f["bias_falls_faster_than_variance"] is True
    assert s["sizes"][0]["late_bias2"] == pytest.approx(1.0)
    assert s["sizes"][1]["late_variance"] == pytest.approx(0.2)
    assert s["sizes"][1]["late_incoherence"] == pytest.approx(0.2 / 0.21)
    assert f["late_bias2_loglog_slope_vs_params"] == pytest.approx(-2.0)
    assert f["late_variance_loglog_slope_vs_params"] == pytest.approx(-1.0)
    assert f["late_bias_falls_faster_than_variance"] is True
    # incoherence rises with step for both (0.2 -> 0.5 and 0.2 -> 0.91)
    assert f["incoherence_rises_with_step"] == {"holds_for": ["s", "b"], "fails_for": []}
    md = markdown(s)
    assert "| b | 10,000 |" in md and "last quarter" in md


def test_variance_falling_faster_is_reported_as_not_the_finding() -> None:
    # final bias² 4 -> 0.5 (slope -0.45), variance 1 -> 0.01 (slope -1); incoherence falls
    small = _size("s", 1_000, [1, 2, 3, 4], [1.0] * 4)
    big = _size("b", 100_000, [0.5] * 4, [0.04, 0.03, 0.02, 0.01])
    f = summarize({"sizes": [small, big], "ground_truth": None})["findings"]
    assert f["bias2_loglog_slope_vs_params"] == pytest.approx(np.log10(0.5 / 4) / 2)
    assert f["incoherence_rises_with_step"] == {"holds_for": [], "fails_for": ["s", "b"]}
    assert f["bias_falls_faster_than_variance"] is False
    assert f["late_bias_falls_faster_than_variance"] is False
