"""Pipeline names and the services each needs: plain data, importable without the stages.

`catalog` builds the runnable pipelines from these names; the CLI reads `needed_services`
before it imports a comparison's modules (about 2 s of scipy, matplotlib & co), to launch the
services at once (`runtime.processes.launch_ahead`), and the runner asks the same function
which services to start.
"""

from __future__ import annotations

#: 2D detector services a pipeline may start from.
DETECTORS = ("blazepose", "openpose", "detectron")
#: 2D detectors a multiview reference may be triangulated from (the first is the default).
REFERENCE_DETECTORS = ("blazepose", "openpose")
#: What `posearena compare` runs without --pipelines.
DEFAULT_PIPELINES = ("blazepose-world", "blazepose+videopose3d", "blazepose+stereo")
#: The reference `posearena compare` triangulates without --reference.
DEFAULT_REFERENCE = "multiview"
#: What `posearena demo` runs on its 4-camera recording (against its 4-view reference).
DEMO_PIPELINES = (*DEFAULT_PIPELINES, "openpose+stereo", "openpose+multiview",
                  "openpose+videopose3d")
LIFTER = "videopose3d"
TRIANGULATOR = "stereo"
#: 3D stages after "<detector>+": stage -> the service it runs on.
STAGES = {
    "videopose3d": LIFTER,
    "videopose3d-causal": LIFTER,
    "videopose3d-adapted": LIFTER,
    "stereo": TRIANGULATOR,
    "multiview": TRIANGULATOR,
}
#: BlazePose's own metric 3D: the detector alone.
WORLD = "blazepose-world"


def pipeline_services(name: str) -> tuple[str, ...] | None:
    """The services pipeline `name` needs (its detector first), None for an unknown name."""
    if name == WORLD:
        return ("blazepose",)
    detector, _, stage = name.partition("+")
    if detector not in DETECTORS or stage not in STAGES:
        return None
    return (detector, STAGES[stage])


def needed_services(pipelines: list[str] | tuple[str, ...], reference: str,
                    reference_detector: str) -> list[str]:
    """Every service a comparison starts, in order, each once (unknown names left out).

    Args:
        pipelines: pipeline names.
        reference: "multiview" (triangulated here, from `reference_detector`'s 2D), "none", or
            a recorded reference (kinect:/mocap: file: no service).
        reference_detector: the 2D detector of a multiview reference.
    """
    names = [s for p in pipelines for s in pipeline_services(p) or ()]
    if reference == "multiview":
        names += [reference_detector, TRIANGULATOR]
    return list(dict.fromkeys(names))
