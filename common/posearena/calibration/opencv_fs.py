"""OpenCV FileStorage calibration files (YAML ``.yml``/``.yaml`` or JSON ``.json``).

Layout written and read (``cv2.FileStorage``; matrices are ``!!opencv-matrix`` nodes)::

    %YAML:1.0
    ---
    format: posearena-cameras
    cameras:
       -
          name: cam01
          width: 1088            # px
          height: 1920           # px
          K: !!opencv-matrix     # 3x3, px
          dist: !!opencv-matrix  # 1x4 or 1x5: k1 k2 p1 p2 [k3]
          R: !!opencv-matrix     # 3x3 world -> camera
          T: !!opencv-matrix     # 3x1, m: X_cam = R X_world + T

The JSON form is the same tree. Also read: the single-camera file written by OpenCV's
calibration sample (``camera_matrix``, ``distortion_coefficients``, ``image_width``,
``image_height``; optional ``R``/``T``), named after the file stem, identity extrinsics
when absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.calibration.camera import Camera
from posearena.errors import InvalidInputError

FORMAT_TAG = "posearena-cameras"


def _cv2():
    import cv2  # lazy: only FileStorage files need OpenCV

    return cv2


def _mat(node, key: str, where: str, size: int | None, required: bool = True) -> np.ndarray | None:
    sub = node.getNode(key)
    if sub.empty() or sub.isNone():
        if required:
            raise InvalidInputError(f"{where}.{key}", None, "present")
        return None
    if sub.isSeq():
        vals = [sub.at(i).real() for i in range(sub.size())]
        arr = np.array(vals, dtype=np.float64)
    else:
        m = sub.mat()
        if m is None:
            raise InvalidInputError(f"{where}.{key}", sub.string() or "?", "an opencv-matrix")
        arr = np.asarray(m, dtype=np.float64)
    if size is not None and arr.size != size:
        raise InvalidInputError(f"{where}.{key}", arr.shape, f"{size} numbers")
    return arr


def _num(node, key: str, where: str) -> float:
    sub = node.getNode(key)
    if sub.empty() or not (sub.isInt() or sub.isReal()):
        raise InvalidInputError(f"{where}.{key}", sub.string() if not sub.empty() else None,
                                "a number")
    return float(sub.real())


def _camera(node, name: str, where: str, keys: dict[str, str]) -> Camera:
    K = _mat(node, keys["K"], where, 9).reshape(3, 3)
    dist = _mat(node, keys["dist"], where, None, required=False)
    R = _mat(node, "R", where, None, required=False)
    T = _mat(node, "T", where, 3, required=False)
    if R is not None and R.size == 3:  # a rotation vector
        from posearena.calibration.rotation import rodrigues_to_matrix

        R = rodrigues_to_matrix(R)
    try:
        return Camera(
            name,
            int(_num(node, keys["width"], where)),
            int(_num(node, keys["height"], where)),
            K,
            np.zeros(5) if dist is None else dist.ravel(),
            np.eye(3) if R is None else R.reshape(3, 3),
            np.zeros(3) if T is None else T.ravel(),
        )
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}:{exc.field}", exc.value, exc.expected) from None


def parse_opencv(
    text: str, source: str = "<string>", default_name: str = "cam0"
) -> dict[str, Camera]:
    """Parse an OpenCV FileStorage calibration (YAML or JSON text; layout in module docstring).

    Args:
        text: file content.
        source: file name used in error messages.
        default_name: camera name for a single-camera OpenCV sample file.

    Returns:
        Cameras by name, in file order.
    """
    cv2 = _cv2()
    try:
        fs = cv2.FileStorage(text, cv2.FILE_STORAGE_READ | cv2.FILE_STORAGE_MEMORY)
    except (cv2.error, SystemError) as exc:
        msg = str(exc.__cause__ or exc).strip().splitlines()[-1][:200]
        raise InvalidInputError(source, msg, "an OpenCV FileStorage YAML/JSON file") from None
    try:
        if not fs.isOpened():
            raise InvalidInputError(source, None, "an OpenCV FileStorage YAML/JSON file")
        out: dict[str, Camera] = {}
        cams = fs.getNode("cameras")
        if not cams.empty():
            if not cams.isSeq() or cams.size() == 0:
                raise InvalidInputError(f"{source}:cameras", None, "a non-empty sequence")
            keys = {"K": "K", "dist": "dist", "width": "width", "height": "height"}
            for i in range(cams.size()):
                node = cams.at(i)
                name = node.getNode("name").string() if not node.getNode("name").empty() else ""
                where = f"{source}:cameras[{i}]"
                if not name:
                    raise InvalidInputError(f"{where}.name", None, "a non-empty string")
                if name in out:
                    raise InvalidInputError(f"{where}.name", name, "unique camera names")
                out[name] = _camera(node, name, where, keys)
            return out
        if not fs.getNode("camera_matrix").empty():
            keys = {"K": "camera_matrix", "dist": "distortion_coefficients",
                    "width": "image_width", "height": "image_height"}
            return {default_name: _camera(fs.root(), default_name, source, keys)}
        raise InvalidInputError(f"{source}:cameras", None,
                                "a 'cameras' sequence or an OpenCV 'camera_matrix'")
    finally:
        fs.release()


def read_opencv(path: str | Path) -> dict[str, Camera]:
    """Read an OpenCV FileStorage calibration file (``.yml``, ``.yaml``, ``.json``).

    Args:
        path: the file.

    Returns:
        Cameras by name, in file order.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    stem = p.name.split(".")[0] or "cam0"
    return parse_opencv(text, str(p), default_name=stem)


def write_opencv(path: str | Path, cameras: dict[str, Camera]) -> None:
    """Write cameras as an OpenCV FileStorage file; YAML or JSON by the path's extension.

    Args:
        path: output file ending in ``.yml``, ``.yaml`` or ``.json``.
        cameras: cameras by name.
    """
    cv2 = _cv2()
    p = Path(path)
    if p.suffix.lower() not in (".yml", ".yaml", ".json"):
        raise InvalidInputError("path", str(p), "a .yml, .yaml or .json file name")
    fs = cv2.FileStorage(str(p), cv2.FILE_STORAGE_WRITE)
    try:
        fs.write("format", FORMAT_TAG)
        fs.startWriteStruct("cameras", cv2.FileNode_SEQ)
        for name, cam in cameras.items():
            fs.startWriteStruct("", cv2.FileNode_MAP)
            fs.write("name", name)
            fs.write("width", int(cam.width))
            fs.write("height", int(cam.height))
            fs.write("K", cam.K)
            fs.write("dist", cam.dist.reshape(1, -1))
            fs.write("R", cam.R)
            fs.write("T", cam.t.reshape(3, 1))
            fs.endWriteStruct()
        fs.endWriteStruct()
    finally:
        fs.release()
