"""Recorded skeletons against recorded references (Kinect vs Vicon, any pose file vs mocap).

Inputs: pairs of reference / candidate specs (`references.load_reference`: "kinect:FILE",
"mocap:FILE" or FILE). Output: a `RunResult` (time offset and rate found, spatial alignment,
metrics, angles, repetitions), written by `outputs.write_outputs` like every other run.
"""

from __future__ import annotations

from pathlib import Path

from posearena.errors import InvalidInputError
from posearena_gateway.comparison import compare_sequences
from posearena_gateway.comparison.repetition_metrics import BIG_ERROR_DEG
from posearena_gateway.outputs import write_outputs
from posearena_gateway.pipelines.metrics_doc import skeletons_document
from posearena_gateway.references import load_reference
from posearena_gateway.result import RunResult
from posearena_gateway.rundir import RunDir


def compare_skeletons(pairs: list[tuple[str, str, str]], big_error_deg: float = BIG_ERROR_DEG,
                      title: str = "", reference_entry: dict | None = None) -> RunResult:
    """Compare each candidate recording against its reference recording.

    Args:
        pairs: (pipeline name, reference spec, candidate spec) per comparison.
        big_error_deg: large joint-angle error threshold, degrees.
        title: report title (default: "<candidate file> vs <reference file>").
        reference_entry: metrics.json's "reference" entry when the pairs have several
            references (each pipeline then names its `reference_source`); default: the
            one reference's kind "file", source, skeleton, fps and frame.

    Returns:
        The RunResult (reference: the first pair's).

    Raises:
        InvalidInputError: an unreadable or unknown file (named), no pairs.
    """
    entries, results, comparisons = {}, {}, {}
    first = None
    for name, ref_spec, cand_spec in pairs:
        ref, cand = load_reference(ref_spec), load_reference(cand_spec)
        comp = compare_sequences(ref, cand, synchronised=False, same_frame=False,
                                 big_error_deg=big_error_deg)
        name = name or Path(cand.source).name or "candidate"
        entries[name], results[name], comparisons[name] = (ref, cand, comp), cand, comp
        first = first or (ref, cand)
    if first is None:
        raise InvalidInputError("pairs", [], "at least one reference / candidate pair")
    ref0, cand0 = first
    header = reference_entry or {"kind": "file", "status": "ok", "source": ref0.source,
                                 "skeleton": ref0.skeleton, "fps": ref0.fps,
                                 "frame": ref0.frame}
    metrics = skeletons_document(header, ref0, entries, reference_entry is not None)
    return RunResult(metrics, comparisons, results, ref0, {},
                     title or f"{Path(cand0.source).name} vs {Path(ref0.source).name}")


def compare_skeleton_files(reference: str, candidate: str, out: Path,
                           big_error_deg: float = BIG_ERROR_DEG, name: str | None = None,
                           labels: tuple[str, str] | None = None,
                           animation: bool = True) -> RunResult:
    """One recorded skeleton against another, written into the run directory `out`.

    Args:
        reference, candidate: FILE or kinect:/mocap: FILE specs.
        out: the run directory (checked writable before any work).
        big_error_deg: large angle error threshold, degrees.
        name: the candidate's pipeline name (default: its file name).
        labels: (subject, trial) of the angle CSVs.
        animation: write the 3D animation.
    """
    rd = RunDir(out)  # unwritable output fails before any work
    result = compare_skeletons([(name or "", reference, candidate)], big_error_deg)
    write_outputs(result, rd, labels=labels, animation=animation)
    return result
