"""Qualisys Track Manager calibration export (``.qca.txt``, XML).

Conventions (verified on the Pose2Sim demo by triangulating BlazePose detections):
- one ``<camera serial=...>`` per camera; its ``serial`` is the camera name;
- intrinsics in 1/64 px: fx = focalLengthU/64, fy = focalLengthV/64,
  cx = centerPointU/64 − fov_video@left, cy = centerPointV/64 − fov_video@top;
  image size from ``fov_video`` (right − left + 1, bottom − top + 1);
- distortion k1 = radialDistortion1, k2 = radialDistortion2, k3 = radialDistortion3,
  p1 = tangentalDistortion1, p2 = tangentalDistortion2, each divided by ``DISTORTION_SCALE``
  (64, as Pose2Sim reads them; see the note in docs of :func:`read_qualisys`);
- extrinsics: r11..r33 row by row form R, C = (x, y, z)/1000 m is the camera centre,
  t = −R·C (Qualisys camera axes), then R, t ← diag(1, −1, −1)·(R, t) into OpenCV axes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from posearena.calibration.camera import Camera
from posearena.errors import InvalidInputError

DISTORTION_SCALE = 64.0
_FLIP = np.diag([1.0, -1.0, -1.0])
_R_KEYS = ("r11", "r12", "r13", "r21", "r22", "r23", "r31", "r32", "r33")


def _num(elem: ET.Element, key: str, where: str) -> float:
    raw = elem.get(key)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(f"{where}.{elem.tag}@{key}", raw, "a number") from None
    if not np.isfinite(value):
        raise InvalidInputError(f"{where}.{elem.tag}@{key}", raw, "a finite number")
    return value


def _child(cam: ET.Element, tag: str, where: str) -> ET.Element:
    elem = cam.find(tag)
    if elem is None:
        raise InvalidInputError(f"{where}.{tag}", None, f"a <{tag}> element")
    return elem


def parse_qualisys(text: str, source: str = "<string>") -> dict[str, Camera]:
    """Parse the XML text of a Qualisys calibration.

    Args:
        text: file content.
        source: file name used in error messages.

    Returns:
        Cameras by name (``serial``), in file order.

    Raises:
        InvalidInputError: not XML, no cameras, missing/non-numeric attributes, invalid R.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InvalidInputError(source, str(exc), "a Qualisys calibration (XML)") from None
    cams = root.findall("./cameras/camera")
    if not cams:
        raise InvalidInputError(f"{source}:cameras", None, "at least one <camera> element")
    out: dict[str, Camera] = {}
    for i, cam in enumerate(cams):
        name = cam.get("serial") or f"cam{i + 1:02d}"
        where = f"{source}:camera[{name}]"
        fov = _child(cam, "fov_video", where)
        left, top = _num(fov, "left", where), _num(fov, "top", where)
        width = round(_num(fov, "right", where) - left + 1)
        height = round(_num(fov, "bottom", where) - top + 1)
        intr = _child(cam, "intrinsic", where)
        fx = _num(intr, "focalLengthU", where) / 64.0
        fy = _num(intr, "focalLengthV", where) / 64.0
        cx = _num(intr, "centerPointU", where) / 64.0 - left
        cy = _num(intr, "centerPointV", where) / 64.0 - top
        skew = _num(intr, "skew", where) / 64.0 if intr.get("skew") is not None else 0.0
        K = np.array([[fx, skew, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])

        def opt(key: str, elem: ET.Element = intr, w: str = where) -> float:
            return _num(elem, key, w) if elem.get(key) is not None else 0.0

        dist = np.array([
            opt("radialDistortion1"), opt("radialDistortion2"),
            opt("tangentalDistortion1"), opt("tangentalDistortion2"), opt("radialDistortion3"),
        ]) / DISTORTION_SCALE
        tr = _child(cam, "transform", where)
        R = np.array([_num(tr, k, where) for k in _R_KEYS]).reshape(3, 3)
        C = np.array([_num(tr, k, where) for k in ("x", "y", "z")]) / 1000.0
        if not np.allclose(R @ R.T, np.eye(3), atol=1e-5) or np.linalg.det(R) <= 0:
            raise InvalidInputError(f"{where}.transform@r11..r33", R.tolist(), "a rotation matrix")
        t = -R @ C
        if name in out:
            raise InvalidInputError(f"{where}@serial", name, "unique camera names")
        try:
            out[name] = Camera(name, width, height, K, dist, _FLIP @ R, _FLIP @ t)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{source}:{exc.field}", exc.value, exc.expected) from None
    return out


def read_qualisys(path: str | Path) -> dict[str, Camera]:
    """Read a Qualisys ``.qca.txt`` calibration file (see the module docstring).

    Args:
        path: the file.

    Returns:
        Cameras by name (``serial``), in file order, OpenCV axes, metres.
    """
    p = Path(path)
    return parse_qualisys(p.read_text(encoding="utf-8", errors="replace"), str(p))


def _f(x: float) -> str:
    return repr(float(x))


def write_qualisys(path: str | Path, cameras: dict[str, Camera]) -> None:
    """Write cameras as a Qualisys ``.qca.txt`` file that :func:`read_qualisys` reads back.

    Args:
        path: output file.
        cameras: cameras by name; the principal point is written with fov_video@left/top = 0.
    """
    root = ET.Element("calibration", {"source": "posearena", "type": "regular"})
    cams_el = ET.SubElement(root, "cameras")
    for name, cam in cameras.items():
        cam_el = ET.SubElement(cams_el, "camera", {"active": "1", "serial": name})
        box = {"left": "0", "top": "0", "right": str(cam.width - 1), "bottom": str(cam.height - 1)}
        for tag in ("fov_marker", "fov_marker_max", "fov_video", "fov_video_max"):
            ET.SubElement(cam_el, tag, box)
        Rq = _FLIP @ cam.R
        C = cam.center * 1000.0
        attrs = {k: _f(v) for k, v in zip(_R_KEYS, Rq.ravel(), strict=True)}
        attrs.update(x=_f(C[0]), y=_f(C[1]), z=_f(C[2]))
        ET.SubElement(cam_el, "transform", attrs)
        d = np.zeros(5)
        d[: cam.dist.size] = cam.dist * DISTORTION_SCALE
        K = cam.K
        ET.SubElement(cam_el, "intrinsic", {
            "focalLengthU": _f(K[0, 0] * 64), "focalLengthV": _f(K[1, 1] * 64),
            "centerPointU": _f(K[0, 2] * 64), "centerPointV": _f(K[1, 2] * 64),
            "skew": _f(K[0, 1] * 64),
            "radialDistortion1": _f(d[0]), "radialDistortion2": _f(d[1]),
            "radialDistortion3": _f(d[4]),
            "tangentalDistortion1": _f(d[2]), "tangentalDistortion2": _f(d[3]),
        })
    ET.indent(root)
    text = "<?xml version='1.0' encoding='ASCII'?>\n" + ET.tostring(root, encoding="unicode")
    Path(path).write_text(text + "\n", encoding="ascii")
