"""Reference 3D sequences (Kinect, marker mocap) as `Sequence3D`, and `load_reference(spec)`.

Readers: UI-PRMD Kinect (forward kinematics of positions + angles), Kinect v1/v2 skeleton text
(a plain documented format, see `kinect_text`), UI-PRMD Vicon and OpenSim .trc (through
`posearena.mocap`). All return metres in the recording's own frame, with its up axis.
"""

from posearena_gateway.references.kinect_text import (
    KINECT_TEXT_COLUMNS,
    read_kinect_text,
    write_kinect_text,
)
from posearena_gateway.references.loader import FORMATS, detect_format, load_reference, split_spec
from posearena_gateway.references.mocap import infer_up_axis, read_trc_reference, read_vicon
from posearena_gateway.references.sequence import (
    KINECT_FRAME,
    VICON_FRAME,
    Y_UP,
    Z_UP,
    Sequence3D,
)
from posearena_gateway.references.uiprmd_kinect import (
    UIPRMD_KINECT_FPS,
    angles_path_for,
    euler_to_matrix,
    forward_kinematics,
    read_uiprmd_kinect,
)

__all__ = [
    "FORMATS", "KINECT_FRAME", "KINECT_TEXT_COLUMNS", "UIPRMD_KINECT_FPS", "VICON_FRAME", "Y_UP",
    "Z_UP", "Sequence3D", "angles_path_for", "detect_format", "euler_to_matrix",
    "forward_kinematics", "infer_up_axis", "load_reference", "read_kinect_text",
    "read_trc_reference", "read_uiprmd_kinect", "read_vicon", "split_spec", "write_kinect_text",
]  # fmt: skip
