"""Answers of a Detect stream (`FramePoses`, every person of every frame, in order) ->
`Detections` (T, P, J, 2) px with one person track per slot (`tracking.assemble_tracks`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena.skeletons import get_skeleton
from posearena.tensors import from_tensor
from posearena.v1 import pose_pb2
from posearena_gateway.tracking.assemble import assemble_tracks
from posearena_gateway.tracking.tracker import FramePeople
from posearena_gateway.video import VideoInfo

MAX_GAP_S = 1.0  # a person unseen this long (s) may still continue their track


@dataclass
class FramePosesCollector:
    """Accumulates FramePoses (every person of every frame), then tracks them into P slots.

    Every estimator's output passes through `posearena_gateway.tracking`: slot p is one
    person track for the whole video (NaN where absent), at most `max_people` tracks are
    kept (the best, see `keep_best_tracks`; a note says which were dropped).
    """

    max_people: int
    frames: list[FramePeople] = field(default_factory=list)
    person_scores: list[np.ndarray] = field(default_factory=list)
    worlds: list[np.ndarray | None] = field(default_factory=list)
    skeleton: str = ""
    num_joints: int = 0
    has_world: bool = False

    @property
    def count(self) -> int:
        return len(self.frames)

    def add(self, fp: pose_pb2.FramePoses, expected_index: int) -> None:
        if fp.index != expected_index:
            raise InvalidInputError("FramePoses.index", fp.index, f"{expected_index} (in order)")
        if not self.skeleton:
            self.skeleton = fp.skeleton
            self.num_joints = len(get_skeleton(fp.skeleton).joints)
        elif fp.skeleton != self.skeleton:
            raise InvalidInputError("FramePoses.skeleton", fp.skeleton, self.skeleton)
        N, J = len(fp.people), self.num_joints
        kp = np.full((N, J, 2), np.nan, dtype=np.float32)
        sc = np.zeros((N, J), dtype=np.float32)
        ps = np.full((N,), np.nan, dtype=np.float32)
        hints = np.full((N,), -1, dtype=np.int64)
        world = None
        for i, person in enumerate(fp.people):
            k = from_tensor(person.keypoints, "keypoints", ndim=2, last_dim=2)
            if k.shape != (J, 2):
                raise InvalidInputError("keypoints.shape", k.shape, f"({J}, 2)")
            kp[i] = k
            c = from_tensor(person.confidence, "confidence", ndim=1)
            if c.shape != (J,):
                raise InvalidInputError("confidence.shape", c.shape, f"({J},)")
            sc[i] = c
            ps[i] = person.score
            hints[i] = person.track_id
            if person.HasField("world") and person.world.shape:
                if world is None:
                    world = np.full((N, J, 3), np.nan, dtype=np.float32)
                world[i] = from_tensor(person.world, "world", ndim=2, last_dim=3)
                self.has_world = True
        if fp.world_frame:  # the service answers world landmarks (none in empty frames)
            self.has_world = True
        self.frames.append(FramePeople(keypoints=kp, scores=sc, hint_ids=hints))
        self.person_scores.append(ps)
        self.worlds.append(world)

    def detections(self, info: VideoInfo) -> Detections:
        """Every frame's people tracked into `max_people` slots (T, P, J, 2) px."""
        slots = assemble_tracks(self.frames, self.person_scores, self.worlds, self.num_joints,
                                info.fps, self.max_people, MAX_GAP_S)
        if self.has_world and "world" not in slots.extra:  # asked for, nobody ever seen
            T, P, J = slots.keypoints.shape[:3]
            slots.extra["world"] = np.full((T, P, J, 3), np.nan, np.float32)
        return Detections(
            keypoints=slots.keypoints,
            scores=slots.scores,
            person_scores=slots.person_scores,
            skeleton=self.skeleton or "unknown",
            fps=info.fps,
            width=info.width,
            height=info.height,
            track_ids=slots.track_ids,
            extra=slots.extra,
        )
