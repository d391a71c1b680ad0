"""Camera model, projection and calibration file I/O (Qualisys, OpenCV FileStorage, TOML).

Axes are OpenCV's (x right, y down, z forward), world->camera X_cam = R X + t in metres,
pixels with the origin at the top-left pixel centre.
"""

from posearena.calibration.camera import Camera, normalize_views
from posearena.calibration.io import detect_format, load_calibration, save_calibration
from posearena.calibration.opencv_fs import parse_opencv, read_opencv, write_opencv
from posearena.calibration.proto import camera_from_proto, camera_to_proto
from posearena.calibration.qualisys import parse_qualisys, read_qualisys, write_qualisys
from posearena.calibration.rotation import matrix_to_rodrigues, rodrigues_to_matrix
from posearena.calibration.stereo_calib import StereoCalibration, calibrate_stereo
from posearena.calibration.toml_format import format_toml, parse_toml, read_toml, write_toml
from posearena.calibration.virtual import (
    VirtualView,
    look_at_rotation,
    to_camera_frame,
    virtual_view,
)

__all__ = [
    "Camera",
    "StereoCalibration",
    "VirtualView",
    "calibrate_stereo",
    "camera_from_proto",
    "camera_to_proto",
    "detect_format",
    "format_toml",
    "load_calibration",
    "look_at_rotation",
    "matrix_to_rodrigues",
    "normalize_views",
    "parse_opencv",
    "parse_qualisys",
    "parse_toml",
    "read_opencv",
    "read_qualisys",
    "read_toml",
    "rodrigues_to_matrix",
    "save_calibration",
    "to_camera_frame",
    "virtual_view",
    "write_opencv",
    "write_qualisys",
    "write_toml",
]
