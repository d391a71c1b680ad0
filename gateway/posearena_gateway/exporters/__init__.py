"""Exports of posearena results: 3D poses (npz, CSV, .trc, Kinect skeleton text) and 2D
detections (OpenPose `--write_json` files), each with a reader for round trips (the npz
reader is `references.pose_npz`, where every 3D input is read)."""

from posearena_gateway.exporters.openpose_json import (
    openpose_json_name,
    read_openpose_json,
    write_openpose_json,
)
from posearena_gateway.exporters.poses import (
    SEQUENCE_FORMATS,
    csv_header,
    read_csv,
    write_csv,
    write_kinect_skeleton_text,
    write_npz,
    write_sequence,
    write_trc,
)

__all__ = [
    "SEQUENCE_FORMATS",
    "csv_header",
    "openpose_json_name",
    "read_csv",
    "read_openpose_json",
    "write_csv",
    "write_kinect_skeleton_text",
    "write_npz",
    "write_openpose_json",
    "write_sequence",
    "write_trc",
]  # fmt: skip
