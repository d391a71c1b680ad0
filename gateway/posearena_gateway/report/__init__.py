"""The comparison report of a run: report.html, figures, exports, overlay videos, animation.

Public API:
- `write_report(rd, metrics, comparisons, reference, results, videos=None, title=...)`
  writes everything into the run directory and returns the path of report.html.
- `print_summary(metrics)` returns the plain-text summary table for the terminal.
"""

from posearena_gateway.report.tables import print_summary, summary_rows
from posearena_gateway.report.writer import write_report

__all__ = ["print_summary", "summary_rows", "write_report"]
