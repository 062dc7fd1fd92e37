"""agentbench.metrics: bias/variance decompositions and incoherence (METHODS.md), numpy only.

This package imports nothing else of agentbench. Bad input raises MetricsInputError
(a ValueError); warnings are MetricsWarning subclasses.

Main entry point (what the report module calls)::

    decompose_table(table, *, kind, loss="kl", metric=None, groups=None,
                    reference_system=None, median_halves=False, n_boot=1000,
                    confidence=0.9, seed=0, columns=None) -> DataFrame | list[dict]

`table` is a pandas DataFrame or a mapping of equal-length sequences, one row per unroll,
with columns (rename through `columns={"question": "instance_id", ...}`):

    question  hashable id          system  hashable id        seed  int or str (unroll order)
    length    number (tokens, actions or steps)
    outcome   kind "tests":  sequence of 0/1 per graded test (same tests for every unroll
                             of an instance; target is all-pass)
              kind "probs":  probability vector over the options (one-hot for a letter)
              kind "vector": continuous vector x (synthetic optimizer iterates)
    target    kind "probs": correct option index; kind "vector": b (sequence); unused for tests

`loss` ("kl" | "brier") applies to kind "probs"; `metric` is the matrix A for "vector".
`groups=k` adds k equal-size groups by mean length (per system, or from
`reference_system` and reused for all; or pass a LengthGrouping). `median_halves` adds the
short/long halves of the per-question median split. Output: one row per
(system, group, half) with group "all" | "0".."k-1" and half "all" | "short" | "long":

    n_questions, n_unrolls, min_unrolls, mean_length,
    bias2, variance, error, accuracy   (means per question) and incoherence (ratio of sums),
    each with <name>_low / <name>_high: a bootstrap interval at `confidence` (questions
    resampled, unrolls resampled within each; percentile interval recentred on the
    estimate, see `bootstrap`).

A DataFrame comes back when a DataFrame went in, else a list of dicts. FewUnrollsWarning
fires below 30 unrolls per question. For paired comparisons of two systems use
`build_models` + `question_ids_aligned` + `paired_bootstrap`.
"""

from agentbench.metrics.categorical import (
    DELTA,
    accuracy,
    decompose_brier,
    decompose_kl,
    decompose_zero_one,
)
from agentbench.metrics.continuous import decompose_vector, embedding_variance
from agentbench.metrics.decomposition import Decomposition, ZeroOne
from agentbench.metrics.exceptions import (
    FewUnrollsWarning,
    MetricsInputError,
    MetricsWarning,
    UndefinedIncoherenceWarning,
)
from agentbench.metrics.features import (
    FeatureModel,
    make_probs_model,
    make_tests_model,
    make_vector_model,
)
from agentbench.metrics.grouping import (
    EnsemblePoint,
    LengthGrouping,
    ensemble_curve,
    group_by_length,
    median_split,
)
from agentbench.metrics.incoherence import incoherence
from agentbench.metrics.simulate import BetaMixture, SimulatedTests, Truth, simulate_tests
from agentbench.metrics.table import (
    MIN_UNROLLS,
    SystemData,
    build_models,
    decompose_table,
    question_ids_aligned,
)
from agentbench.metrics.testvectors import RaggedTests, decompose_tests, resolved_rate
from agentbench.metrics.uncertainty import (
    BootstrapResult,
    Interval,
    bootstrap,
    paired_bootstrap,
    pass_at_k,
    pass_hat_k,
)

__all__ = [
    "DELTA",
    "MIN_UNROLLS",
    "BetaMixture",
    "BootstrapResult",
    "Decomposition",
    "EnsemblePoint",
    "FeatureModel",
    "FewUnrollsWarning",
    "Interval",
    "LengthGrouping",
    "MetricsInputError",
    "MetricsWarning",
    "RaggedTests",
    "SimulatedTests",
    "SystemData",
    "Truth",
    "UndefinedIncoherenceWarning",
    "ZeroOne",
    "accuracy",
    "bootstrap",
    "build_models",
    "decompose_brier",
    "decompose_kl",
    "decompose_table",
    "decompose_tests",
    "decompose_vector",
    "decompose_zero_one",
    "embedding_variance",
    "ensemble_curve",
    "group_by_length",
    "incoherence",
    "make_probs_model",
    "make_tests_model",
    "make_vector_model",
    "median_split",
    "paired_bootstrap",
    "pass_at_k",
    "pass_hat_k",
    "question_ids_aligned",
    "resolved_rate",
    "simulate_tests",
]
