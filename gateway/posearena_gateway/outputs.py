"""The one way results leave a run: `write_outputs(result, rd)` writes metrics.json first
(so the numbers survive whatever happens next), then the report, its figures and the exports.

Used by `posearena compare`, `compare-skeletons`, `demo`, `study` and the gateway service; none
of them writes an output any other way. Printing a summary is the CLI's own business.
"""

from __future__ import annotations

from pathlib import Path

from posearena_gateway.report import write_report
from posearena_gateway.result import RunResult
from posearena_gateway.rundir import RunDir


def write_outputs(result: RunResult, rd: RunDir, labels: tuple[str, str] | None = None,
                  animation: bool = True) -> Path:
    """Write metrics.json, report.html, figures/ and exports/ of `result` into `rd`.

    Args:
        result: what the comparison produced.
        rd: the run directory.
        labels: (subject, trial) written in the angle CSVs (default: the run dir's name).
        animation: write the 3D animation (the study leaves it out).

    Returns:
        The path of report.html.
    """
    rd.write_json("metrics.json", result.metrics)
    subject, trial = labels or (None, None)
    return write_report(rd, result.metrics, result.comparisons, result.reference,
                        result.results, videos=result.videos or None, title=result.title,
                        subject=subject, trial=trial, animation=animation)
