"""Errors and warnings of the metrics core (it imports nothing else of agentbench)."""

from __future__ import annotations


class MetricsInputError(ValueError):
    """Input the metrics cannot use: the message names the argument, the index and the fix."""


class MetricsWarning(UserWarning):
    """Base class of every warning the metrics core emits."""


class UndefinedIncoherenceWarning(MetricsWarning):
    """Total error is 0 over a question set, so incoherence is undefined (NaN)."""


class FewUnrollsWarning(MetricsWarning):
    """Some question has fewer unrolls than METHODS.md §4 asks for (30)."""
