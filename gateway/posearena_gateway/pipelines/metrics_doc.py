"""The run's `metrics.json` document, assembled from what became of each pipeline.

Inputs: the reference's and every pipeline's `Outcome` (status, 3D result, comparison,
extra metrics such as cross-view reprojection), the checked inputs and the pairwise
comparisons. Output: the JSON-ready dict described field by field in docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from posearena.triangulation_presets import PRESETS
from posearena_gateway.comparison import Comparison
from posearena_gateway.pipelines.inputs import CompareInputs
from posearena_gateway.references.sequence import Sequence3D


@dataclass
class Outcome:
    """What became of one pipeline (or of the reference)."""

    status: str = "pending"
    reason: str = ""
    result: Sequence3D | None = None
    comparison: Comparison | None = None
    extra: dict = field(default_factory=dict)


_NAMES = {"blazepose": "BlazePose", "openpose": "OpenPose"}


def _reference(kind: str, ref: Outcome, inputs: CompareInputs, detector: str) -> dict:
    out = {"kind": kind, "status": ref.status, "reason": ref.reason}
    if ref.result is None:
        return out
    out.update(skeleton=ref.result.skeleton, fps=ref.result.fps, frame=ref.result.frame,
               source=ref.result.source)
    if kind == "multiview":
        preset = PRESETS["reference"]
        out["method"] = (f"all {len(inputs.camera_ids)} calibrated views, "
                         f"{_NAMES.get(detector, detector)} 2D, {preset.method()}")
        out["triangulation_preset"] = preset.name
    if ref.result.extra.get("person_choice"):
        out["person_choice"] = ref.result.extra["person_choice"]
    return out


def _pipeline(out: Outcome) -> dict:
    entry = {"status": out.status, "reason": out.reason}
    if out.result is not None and out.result.extra.get("person_choice"):
        entry["person_choice"] = out.result.extra["person_choice"]
    if "reprojection" in out.extra:
        entry["reprojection"] = out.extra["reprojection"]
    details = (out.result.extra.get("details") or {}) if out.result else {}
    if details.get("input_view"):
        entry["input_view"] = details["input_view"]
    if "left_right_relabelled_frames" in details:
        entry["left_right_relabelled_frames"] = details["left_right_relabelled_frames"]
    if details.get("causal_steps"):
        entry["causal"] = details["causal_steps"]
    if details.get("adaptation"):
        entry["adaptation"] = details["adaptation"]
    if out.comparison is not None:
        entry.update(out.comparison.metrics)
    elif out.result is not None:
        entry["frame"] = out.result.frame
    return entry


def metrics_document(
    reference_kind: str,
    reference: Outcome,
    outcomes: dict[str, Outcome],
    inputs: CompareInputs,
    pairwise: list[dict],
    reference_detector: str = "blazepose",
    pairwise_error: str = "",
) -> dict:
    """The metrics.json dict of a run.

    Args:
        reference_kind: "multiview", "kinect", "mocap" or "file".
        reference: the reference's outcome.
        outcomes: pipeline name -> its outcome, in the job's order.
        inputs: the checked input videos (frames, fps, cameras, notes).
        pairwise: `comparison.pairwise.pairwise_differences` output.
        reference_detector: the 2D detector of a multiview reference (named in `method`).
        pairwise_error: why the pairwise comparison failed ("" when it did not).

    Returns:
        {"reference", "frames", "fps", "cameras", "notes", "pipelines", "pairwise"}.
    """
    doc = {"reference": _reference(reference_kind, reference, inputs, reference_detector),
           "frames": inputs.frames, "fps": inputs.fps, "cameras": inputs.camera_ids,
           "notes": inputs.notes,
           "pipelines": {name: _pipeline(out) for name, out in outcomes.items()},
           "pairwise": pairwise}
    if pairwise_error:
        doc["pairwise_error"] = pairwise_error
    return doc


def skeletons_document(reference: dict, first_reference: Sequence3D,
                       entries: dict[str, tuple[Sequence3D, Sequence3D, Comparison]],
                       name_references: bool) -> dict:
    """The metrics.json dict of recorded skeletons compared against recorded references.

    Args:
        reference: the "reference" entry (kind, status, source, ...).
        first_reference: the reference whose frame count and rate head the document.
        entries: pipeline name -> (its reference, the candidate, their Comparison).
        name_references: give each pipeline its own `reference_source` (several references).

    Returns:
        {"reference", "frames", "fps", "pipelines": {name: {"status", "reason", "source",
        ["reference_source"], metrics...}}}.
    """
    pipelines = {}
    for name, (ref, cand, comp) in entries.items():
        entry = {"status": "ok", "reason": "", "source": cand.source}
        if name_references:
            entry["reference_source"] = ref.source
        pipelines[name] = {**entry, **comp.metrics}
    return {"reference": reference, "frames": first_reference.num_frames,
            "fps": first_reference.fps, "pipelines": pipelines}
