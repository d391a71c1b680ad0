"""Repetitions out as CSV: time-normalised cycles and each cycle's extremes.

- `angle_cycles.csv`: `subject,trial,pipeline,measure,cycle,percent,pred,ref`, one row per
  pipeline × angle × cycle × % of the cycle (0..100), degrees, missing as empty fields.
- `repetitions.csv`: `subject,trial,pipeline,measure,cycle,start_frame,end_frame,start_s,
  end_s,peak_ref_deg,peak_pred_deg,trough_ref_deg,trough_pred_deg,range_ref_deg,
  range_pred_deg` (frames and times on the reference's clock).
Cycles are those of `comparison.repetition_metrics.angle_cycles` (found on the reference).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from posearena_gateway.analysis.cycles import CycleSet
from posearena_gateway.exporters.angles import write_rows_csv

CYCLE_CSV_COLUMNS = ("subject", "trial", "pipeline", "measure", "cycle", "percent", "pred",
                     "ref")
REPETITION_CSV_COLUMNS = ("subject", "trial", "pipeline", "measure", "cycle", "start_frame",
                          "end_frame", "start_s", "end_s", "peak_ref_deg", "peak_pred_deg",
                          "trough_ref_deg", "trough_pred_deg", "range_ref_deg",
                          "range_pred_deg")


def _num(x: float) -> str:
    return f"{x:.4f}" if np.isfinite(x) else ""


def cycle_rows(subject: str, trial: str, pipeline: str,
               cycles: dict[str, CycleSet]) -> Iterable[list[str]]:
    """Rows of `angle_cycles.csv` for one pipeline (angle -> its cycles, (C, P) degrees)."""
    for measure, cs in sorted(cycles.items()):
        pct = np.linspace(0.0, 100.0, cs.ref.shape[1])
        for k in range(cs.ref.shape[0]):
            for j, p in enumerate(pct):
                yield [subject, trial, pipeline, measure, str(k + 1), f"{p:g}",
                       _num(cs.cand[k, j]), _num(cs.ref[k, j])]


def repetition_rows(subject: str, trial: str, pipeline: str, fps: float,
                    cycles: dict[str, CycleSet]) -> Iterable[list[str]]:
    """Rows of `repetitions.csv` for one pipeline; fps is the reference's rate, Hz."""
    for measure, cs in sorted(cycles.items()):
        for k, e in enumerate(cs.extremes):
            yield [subject, trial, pipeline, measure, str(k + 1), str(e.start), str(e.end),
                   f"{e.start / fps:.4f}", f"{e.end / fps:.4f}", _num(e.peak_ref),
                   _num(e.peak_cand), _num(e.trough_ref), _num(e.trough_cand),
                   _num(e.range_ref), _num(e.range_cand)]


def write_cycle_csvs(out_dir: Path, rows_cycles: Iterable[list[str]],
                     rows_reps: Iterable[list[str]]) -> tuple[Path, Path]:
    """Write `angle_cycles.csv` and `repetitions.csv` into out_dir; returns both paths."""
    a, b = out_dir / "angle_cycles.csv", out_dir / "repetitions.csv"
    write_rows_csv(a, CYCLE_CSV_COLUMNS, rows_cycles)
    write_rows_csv(b, REPETITION_CSV_COLUMNS, rows_reps)
    return a, b
