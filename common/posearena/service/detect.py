"""Pieces shared by the Detect streams of image services: options, request order, replies.

`detect_stream` walks a Detect request stream (options only in message 0, then frames),
`check_detect_options` validates DetectOptions against a service's skeletons, and
`frame_poses` / `add_person` build the reply, converting keypoints from the service's native
skeleton to `DetectOptions.output_skeleton`. No model code here; errors are InvalidInputError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons import convert, convert_confidence, get_skeleton
from posearena.tensors import to_tensor
from posearena.v1 import pose_pb2


def skeleton_message(name: str) -> pose_pb2.Skeleton:
    """The registry skeleton `name` as a Pose API Skeleton (joint names, parents, mirrors)."""
    sk = get_skeleton(name)
    return pose_pb2.Skeleton(name=sk.name, joint_names=list(sk.joints), parents=list(sk.parents),
                             left_joints=list(sk.left), right_joints=list(sk.right))


def check_detect_options(
    opts: pose_pb2.DetectOptions,
    native: str,
    convertible: Sequence[str],
    max_people: int | None = None,
) -> pose_pb2.DetectOptions:
    """Validate DetectOptions; an empty output_skeleton becomes the native one.

    Args:
        opts: the client's options (not modified).
        native: the service's own skeleton name.
        convertible: skeleton names it can convert to (the native one, if listed, is skipped).
        max_people: the largest max_people accepted; None: any value >= 0.

    Returns:
        a copy of `opts` with output_skeleton set.

    Raises:
        InvalidInputError: max_people out of range, min_person_score outside [0, 1], or an
            output_skeleton the service cannot produce.
    """
    out = pose_pb2.DetectOptions()
    out.CopyFrom(opts)
    if max_people is None:
        if out.max_people < 0:
            raise InvalidInputError("options.max_people", out.max_people, ">= 0 (0 or 1: one)")
    elif not 0 <= out.max_people <= max_people:
        raise InvalidInputError(
            "options.max_people", out.max_people, f"0..{max_people} (0 or 1: one person)"
        )
    if not 0.0 <= out.min_person_score <= 1.0:
        raise InvalidInputError("options.min_person_score", out.min_person_score, "[0, 1]")
    name = out.output_skeleton or native
    allowed = [native, *[n for n in convertible if n != native]]
    if name not in allowed:
        raise InvalidInputError("options.output_skeleton", name, f"one of {allowed} (or empty)")
    out.output_skeleton = name
    return out


def detect_stream(
    requests: Iterable[pose_pb2.DetectRequest],
    parse_options: Callable[[pose_pb2.DetectOptions], pose_pb2.DetectOptions],
) -> Iterator[tuple[pose_pb2.DetectOptions, pose_pb2.Frame]]:
    """Yield (options in force, frame) for each frame of a Detect request stream, in order.

    Args:
        requests: the client's DetectRequest stream.
        parse_options: validates DetectOptions (e.g. `check_detect_options` bound to the
            service); applied to the defaults first, then to message 0's options if any.

    Raises:
        InvalidInputError: options after message 0, or a request with neither options nor
            frame (named "requests[<position>]").
    """
    opts = parse_options(pose_pb2.DetectOptions())
    for pos, req in enumerate(requests):
        kind = req.WhichOneof("item")
        if kind == "options":
            if pos != 0:
                raise InvalidInputError(f"requests[{pos}].options", "options",
                                        "options only in message 0")
            opts = parse_options(req.options)
            continue
        if kind != "frame":
            raise InvalidInputError(f"requests[{pos}]", "empty request", "options or frame")
        yield opts, req.frame


def frame_poses(
    frame: pose_pb2.Frame, image: np.ndarray, skeleton: str, world_frame: str = ""
) -> pose_pb2.FramePoses:
    """An empty reply to `frame`: its index, time and camera, the image size and skeleton.

    Args:
        frame: the request's Frame.
        image: (H, W, C) the decoded image; width/height in px come from it.
        skeleton: name of the skeleton the people are given in.
        world_frame: description of Person.world's frame ("" when not sent).
    """
    return pose_pb2.FramePoses(
        index=frame.index, timestamp_s=frame.timestamp_s, camera_id=frame.camera_id,
        width=int(image.shape[1]), height=int(image.shape[0]), skeleton=skeleton,
        world_frame=world_frame,
    )


def add_person(
    out: pose_pb2.FramePoses,
    native: str,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    score: float,
    box: Sequence[float],
    track_id: int,
    world: np.ndarray | None = None,
) -> pose_pb2.Person:
    """Append one person to `out`, converted from `native` to `out.skeleton`.

    Args:
        out: the reply (its `skeleton` is the output skeleton).
        native: the skeleton the arrays are in.
        keypoints: (J, 2) px in the native skeleton.
        confidence: (J,) in [0, 1].
        score: person score in [0, 1].
        box: (4,) x0, y0, x1, y1 in px.
        track_id: identity across frames, -1 for none.
        world: (J, 3) metric landmarks (m) to send in Person.world, or None.

    Returns:
        the Person added.
    """
    dst = out.skeleton
    if dst != native:
        keypoints = convert(keypoints, native, dst)
        confidence = convert_confidence(confidence, native, dst)
        if world is not None:
            world = convert(world, native, dst)
    person = out.people.add(
        keypoints=to_tensor(np.asarray(keypoints, dtype=np.float32)),
        confidence=to_tensor(np.asarray(confidence, dtype=np.float32)),
        score=score,
        box=pose_pb2.Box(x0=box[0], y0=box[1], x1=box[2], y1=box[3]),
        track_id=track_id,
    )
    if world is not None:
        person.world.CopyFrom(to_tensor(np.asarray(world, dtype=np.float32)))
    return person
