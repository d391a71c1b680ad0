"""Candidate vs reference: common joints, time alignment, spatial alignment, metrics."""

from posearena_gateway.comparison.compare import Comparison, compare_sequences

__all__ = ["Comparison", "compare_sequences"]
