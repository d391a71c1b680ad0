"""`RunResult`: everything one comparison produced, the one thing every path writes out.

`Runner.run()` (videos), `pipelines.skeletons.compare_skeletons` (recorded skeletons) and the
study's sessions return it; `outputs.write_outputs` turns it into metrics.json, the report
and the exports, for the CLI, the demo, the study and the gateway service alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from posearena.npzio import Detections
from posearena_gateway.comparison import Comparison
from posearena_gateway.references.sequence import Sequence3D


@dataclass
class RunResult:
    """One comparison's results.

    Attributes:
        metrics: the metrics.json document (fields: docs/metrics.md).
        comparisons: pipeline name -> its Comparison against the reference (aligned
            (T, K, 3) m points, angles (T,) degrees).
        results: pipeline name -> its 3D result (points (T, J, 3) m).
        reference: the reference sequence, or None when there was none.
        videos: detection set name ("<detector> <camera>") -> (input video path, Detections
            (T, P, J, 2) px): overlays and OpenPose JSON exports.
        title: the report's title.
    """

    metrics: dict
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    results: dict[str, Sequence3D] = field(default_factory=dict)
    reference: Sequence3D | None = None
    videos: dict[str, tuple[str, Detections]] = field(default_factory=dict)
    title: str = "posearena comparison"

    @property
    def any_ok(self) -> bool:
        """True when at least one pipeline produced a result."""
        return any(p.get("status") == "ok" for p in self.metrics.get("pipelines", {}).values())
