"""`CompareJob`: what one comparison is asked to do (inputs, pipelines, reference, options).

Built by `posearena compare`, the demo, the study and the gateway service; run by
`pipelines.runner.Runner`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from posearena_gateway.comparison.repetition_metrics import BIG_ERROR_DEG
from posearena_gateway.pipelines.catalog import PipelineSpec
from posearena_gateway.pipelines.names import REFERENCE_DETECTORS
from posearena_gateway.references.sequence import Sequence3D

#: Videos detected at once: one per core, at most 4 (each stream keeps a service busy; more
#: than the cores only interleaves them).
DETECT_WORKERS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class CompareJob:
    """What to compare.

    Attributes:
        videos: input video files (synchronised when several).
        out: run directory.
        pipelines: pipelines to run.
        calib: calibration file (needed by stereo/multiview and the multiview reference).
        cameras: camera name per video (default: matched by file name).
        reference: "multiview", "none", or a `Sequence3D` already loaded (kinect/mocap).
        reference_detector: the 2D detector the multiview reference triangulates
            ("blazepose" or "openpose").
        resume: reuse outputs already in the run directory.
        max_people: people tracked per video (1: the most prominent person only).
        person: the patient among several: auto|largest|central|longest|ID.
        big_error_deg: threshold of a large joint-angle error, degrees.
        title: the report's title.
    """

    videos: list[Path]
    out: Path
    pipelines: list[PipelineSpec]
    calib: Path | None = None
    cameras: list[str] | None = None
    reference: str | Sequence3D = "multiview"
    reference_detector: str = REFERENCE_DETECTORS[0]
    resume: bool = False
    max_people: int = 1
    person: str = "auto"
    big_error_deg: float = BIG_ERROR_DEG
    title: str = "posearena comparison"
