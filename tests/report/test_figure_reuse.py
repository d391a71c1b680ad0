"""Figures drawn on a reused Figure/Axes are byte-identical to the same figure drawn alone.

`angle_figures`, `bland_altman_figures` and `cycle_figures` empty and reuse one figure per
layout (`figures.Layouts`) instead of building one per angle or pipeline; each PNG must still
show its own data only: nothing left over from the previous one (lines, scatter points, SD
bands, legends, data limits).
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

from posearena_gateway.report.cycles import cycle_figures
from posearena_gateway.report.figures import angle_figures, bland_altman_figures, colour_map
from posearena_gateway.report.tables import pipelines_of

from .conftest import Run, build_run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return build_run(tmp_path_factory.mktemp("reuse"))


def _only_angle_of(comparisons: dict, angle: str) -> dict:
    """The comparisons with their agreement tables cut to `angle` (the figures' angle list)."""
    return {n: dataclasses.replace(c, metrics={**c.metrics, "angles": {
        a: v for a, v in c.metrics["angles"].items() if a == angle}})
        for n, c in comparisons.items()}


def _only_angle(run: Run, angle: str) -> dict:
    return _only_angle_of(run.comparisons, angle)


def _same_files(together: dict[str, Path], alone: dict[str, Path]) -> None:
    assert together.keys() == alone.keys()
    for key, path in together.items():
        assert path.read_bytes() == alone[key].read_bytes(), key


def test_angle_figures_equal_each_angle_drawn_alone(run: Run, tmp_path: Path) -> None:
    colours = colour_map(list(run.comparisons))
    together = angle_figures(run.comparisons, tmp_path / "together", colours)
    assert len(together) >= 3  # several figures, so the reuse is exercised
    alone = {}
    for angle in together:
        alone |= angle_figures(_only_angle(run, angle), tmp_path / "alone", colours)
    _same_files(together, alone)


def test_bland_altman_figures_equal_each_pipeline_drawn_alone(run: Run, tmp_path: Path) -> None:
    colours = colour_map(list(run.comparisons))
    together = bland_altman_figures(run.comparisons, tmp_path / "together", colours)
    assert len(together) == 3
    alone = {}
    for name, comp in run.comparisons.items():
        alone |= bland_altman_figures({name: comp}, tmp_path / "alone", colours)
    _same_files(together, alone)


def test_cycle_figures_equal_each_angle_drawn_alone(run: Run, tmp_path: Path) -> None:
    colours = colour_map(list(pipelines_of(run.metrics)))
    together = cycle_figures(run.metrics, tmp_path / "together", colours)
    assert len(together) >= 3
    alone = {}
    for angle in together:
        pipes = {n: {**m, "repetitions": {a: r for a, r in (m.get("repetitions") or {}).items()
                                          if a == angle}}
                 for n, m in run.metrics["pipelines"].items()}
        alone |= cycle_figures({**run.metrics, "pipelines": pipes}, tmp_path / "alone", colours)
    _same_files(together, alone)


def test_an_angle_without_data_after_one_with_data(run: Run, tmp_path: Path) -> None:
    """An all-NaN angle gets a new Axes' default limits, not those of the figure before."""
    colours = colour_map(list(run.comparisons))
    first, empty = sorted(next(iter(run.comparisons.values())).metrics["angles"])[:2]
    comps = {n: dataclasses.replace(
        c, metrics={**c.metrics, "angles": {a: c.metrics["angles"][a] for a in (first, empty)}},
        cand_angles={**c.cand_angles, empty: np.full_like(c.cand_angles[empty], np.nan)},
        ref_angles={**c.ref_angles, empty: np.full_like(c.ref_angles[empty], np.nan)})
        for n, c in run.comparisons.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # matplotlib: nothing to put in a legend / limits
        together = angle_figures(comps, tmp_path / "together", colours)
        alone = angle_figures(_only_angle_of(comps, empty), tmp_path / "alone", colours)
    assert together[empty].read_bytes() == alone[empty].read_bytes()
