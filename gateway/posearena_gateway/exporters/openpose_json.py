"""2D detections <-> OpenPose `--write_json` per-frame files.

One file per frame, "<prefix>_<frame:012d>_keypoints.json", holding
{"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": [x, y, c, ...], ...}]}
with BODY_25 keypoints in px (order of the `body25` registry skeleton). Missing joints are
written 0, 0, 0 as OpenPose does; a person whose joints are all missing in a frame is left
out of that frame. Reading back turns (0, 0, 0) into NaN with score 0.

Pixel convention: OpenPose's keypoints are offset by +0.5 px from ours (its peak refinement
adds `nmsOffset` = 0.5, so the top-left pixel's centre is at 0.5), while posearena puts the
top-left pixel centre at 0. Writing adds `OPENPOSE_PIXEL_OFFSET`, reading subtracts it, so
files exchanged with the OpenPose binary line up with every other estimator.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena.npzio import Detections
from posearena.skeletons import convert, convert_confidence

_EMPTY_KEYS = (
    "face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
    "pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d", "hand_right_keypoints_3d",
)  # fmt: skip
_NAME = re.compile(r"^(?P<prefix>.*?)_?(?P<frame>\d+)_keypoints\.json$")
#: pose_keypoints_2d length -> skeleton (OpenPose BODY_25 or COCO-18 models).
_BY_LENGTH = {75: "body25", 54: "coco18"}
#: OpenPose coordinates minus posearena coordinates, px.
OPENPOSE_PIXEL_OFFSET = 0.5


def openpose_json_name(prefix: str, frame: int) -> str:
    """File name OpenPose uses for a frame: "<prefix>_<frame:012d>_keypoints.json"."""
    return f"{prefix}_{frame:012d}_keypoints.json" if prefix else f"{frame:012d}_keypoints.json"


def write_openpose_json(out_dir: str | Path, det: Detections, prefix: str = "video") -> list[Path]:
    """Write detections as OpenPose BODY_25 JSON files, one per frame.

    Args:
        out_dir: folder (created if needed).
        det: detections, keypoints (T, P, J, 2) px and scores (T, P, J) of any registry skeleton;
            converted to BODY_25 (joints it cannot provide are written 0, 0, 0).
        prefix: file name prefix (OpenPose uses the video's base name).

    Returns:
        the T written paths, in frame order.
    """
    if "/" in prefix or "\\" in prefix:
        raise InvalidInputError("prefix", prefix, "a file name prefix without path separators")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kp = convert(det.keypoints.astype(np.float64), det.skeleton, "body25")  # (T, P, 25, 2)
    kp = kp + OPENPOSE_PIXEL_OFFSET
    sc = convert_confidence(det.scores.astype(np.float64), det.skeleton, "body25")
    ok = np.all(np.isfinite(kp), axis=-1) & np.isfinite(sc)
    flat = np.concatenate([kp, sc[..., None]], axis=-1)  # (T, P, 25, 3)
    flat[~ok] = 0.0
    paths = []
    for t in range(flat.shape[0]):
        people = [
            {
                "person_id": [-1],
                "pose_keypoints_2d": [round(float(v), 6) for v in flat[t, p].ravel()],
                **{k: [] for k in _EMPTY_KEYS},
            }
            for p in range(flat.shape[1])
            if ok[t, p].any()
        ]
        path = out / openpose_json_name(prefix, t)
        path.write_text(json.dumps({"version": 1.3, "people": people}), encoding="utf-8")
        paths.append(path)
    return paths


def _frame_files(folder: Path, prefix: str | None) -> dict[int, Path]:
    """Frame number -> file for the *_<frame>_keypoints.json files of one video prefix."""
    by_prefix: dict[str, dict[int, Path]] = {}
    for f in sorted(folder.glob("*_keypoints.json")):
        m = _NAME.match(f.name)
        if m is None or (prefix is not None and m.group("prefix") != prefix):
            continue
        files = by_prefix.setdefault(m.group("prefix"), {})
        frame = int(m.group("frame"))
        if frame in files:
            raise InvalidInputError("json_dir", str(folder), f"one file per frame ({frame} twice)")
        files[frame] = f
    if not by_prefix:
        raise InvalidInputError("json_dir", str(folder), "*_<frame>_keypoints.json files")
    if len(by_prefix) > 1:
        raise InvalidInputError("prefix", sorted(by_prefix), "one video per folder, or a prefix")
    return next(iter(by_prefix.values()))


def read_openpose_json(
    json_dir: str | Path, fps: float, width: int = 0, height: int = 0, prefix: str | None = None
) -> Detections:
    """Read OpenPose `--write_json` files of one video back into Detections.

    Frame t is the file numbered t (gaps become empty frames); people are put in slots in file
    order (OpenPose does not track them). Joints written (0, 0, 0) become NaN with score 0.

    Args:
        json_dir: folder of "<prefix>_<frame:012d>_keypoints.json" files.
        fps: frame rate of the video in Hz (JSON files do not hold it).
        width: image width in px (0 = unknown).
        height: image height in px (0 = unknown).
        prefix: only files with this prefix (required when the folder holds several videos).

    Returns:
        Detections with skeleton "body25" (or "coco18" for COCO-model files), keypoints
        (T, P, J, 2) px, scores (T, P, J) in [0, 1] and person_scores (T, P) = mean score of
        the person's detected joints (NaN for empty slots).
    """
    folder = Path(json_dir)
    if not folder.is_dir():
        raise InvalidInputError("json_dir", str(json_dir), "an existing folder")
    files = _frame_files(folder, prefix)
    frames: dict[int, list[np.ndarray]] = {}
    skeleton = None
    for t, f in sorted(files.items()):
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
            people = doc["people"]
            arrs = [np.asarray(p["pose_keypoints_2d"], dtype=np.float64) for p in people]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInputError(
                str(f), "content", f"OpenPose JSON with people[].pose_keypoints_2d ({exc})"
            ) from exc
        for i, a in enumerate(arrs):
            name = _BY_LENGTH.get(a.size) if a.ndim == 1 else None
            if name is None or (skeleton is not None and name != skeleton):
                want = f"the {skeleton} length of earlier people" if skeleton else ""
                raise InvalidInputError(
                    f"{f} people[{i}].pose_keypoints_2d",
                    f"{a.size} values",
                    want or "75 values (BODY_25) or 54 (COCO-18)",
                )
            skeleton = name
        frames[t] = [a.reshape(-1, 3) for a in arrs]
    skeleton = skeleton or "body25"
    J = 25 if skeleton == "body25" else 18
    T, P = max(files) + 1, max(1, max(len(v) for v in frames.values()))
    kp = np.full((T, P, J, 2), np.nan, dtype=np.float32)
    sc = np.zeros((T, P, J), dtype=np.float32)
    ps = np.full((T, P), np.nan, dtype=np.float32)
    for t, people in frames.items():
        for p, a in enumerate(people):
            present = ~np.all(a == 0.0, axis=1)
            kp[t, p][present] = a[present, :2] - OPENPOSE_PIXEL_OFFSET
            sc[t, p] = np.where(present, a[:, 2], 0.0)
            if present.any():
                ps[t, p] = float(np.mean(a[present, 2]))
    if np.any(sc > 1.0) or np.any(sc < 0.0):
        raise InvalidInputError(str(folder), "scores outside [0, 1]", "confidences in [0, 1]")
    return Detections(
        keypoints=kp,
        scores=sc,
        person_scores=ps,
        skeleton=skeleton,
        fps=fps,
        width=width,
        height=height,
    )
