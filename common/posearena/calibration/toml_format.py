"""Pose2Sim / anipose calibration TOML.

Layout (one table per camera, any table name except ``metadata``)::

    [cam_1]
    name = "cam01"
    size = [ 1088.0, 1920.0,]            # width, height in px
    matrix = [ [ fx, 0.0, cx,], [ 0.0, fy, cy,], [ 0.0, 0.0, 1.0,],]
    distortions = [ k1, k2, p1, p2,]     # OpenCV order, optionally k3
    rotation = [ rx, ry, rz,]            # Rodrigues vector (rad), world -> camera
    translation = [ tx, ty, tz,]         # m, X_cam = R X_world + t
    fisheye = false

    [metadata]
    adjusted = false
    error = 0.0

Pose2Sim writes translations in metres; anipose in the unit of its board squares (often mm):
pass ``translation_scale=0.001`` to :func:`read_toml` for such a file. Fisheye cameras are
not supported (InvalidInputError).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posearena.calibration.camera import Camera
from posearena.calibration.rotation import matrix_to_rodrigues, rodrigues_to_matrix
from posearena.errors import InvalidInputError


def _tomllib():
    try:
        import tomllib
    except ImportError:  # Python 3.10: the tomli backport
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib


def _arr(table: dict, key: str, where: str, shape: tuple[int, ...] | None) -> np.ndarray:
    if key not in table:
        raise InvalidInputError(f"{where}.{key}", None, "present")
    try:
        arr = np.array(table[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{where}.{key}", table[key], "an array of numbers") from None
    if shape is not None and arr.shape != shape:
        raise InvalidInputError(f"{where}.{key}", table[key], f"an array of shape {shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"{where}.{key}", table[key], "finite numbers")
    return arr


def parse_toml(text: str, source: str = "<string>",
               translation_scale: float = 1.0) -> dict[str, Camera]:
    """Parse Pose2Sim/anipose calibration TOML text (layout in the module docstring).

    Args:
        text: file content.
        source: file name used in error messages.
        translation_scale: factor turning the file's translations into metres.

    Returns:
        Cameras by name, in file order.
    """
    tomllib = _tomllib()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(source, str(exc), "valid TOML") from None
    out: dict[str, Camera] = {}
    for key, table in doc.items():
        if key == "metadata" or not isinstance(table, dict):
            continue
        where = f"{source}:[{key}]"
        name = table.get("name", key)
        if not isinstance(name, str) or not name:
            raise InvalidInputError(f"{where}.name", name, "a non-empty string")
        if table.get("fisheye", False):
            raise InvalidInputError(f"{where}.fisheye", True, "false (fisheye is not supported)")
        size = _arr(table, "size", where, (2,))
        K = _arr(table, "matrix", where, (3, 3))
        dist = _arr(table, "distortions", where, None).ravel()
        if dist.size not in (0, 4, 5):
            raise InvalidInputError(f"{where}.distortions", table["distortions"], "4 or 5 numbers")
        R = rodrigues_to_matrix(_arr(table, "rotation", where, (3,)))
        t = _arr(table, "translation", where, (3,)) * translation_scale
        if name in out:
            raise InvalidInputError(f"{where}.name", name, "unique camera names")
        try:
            out[name] = Camera(name, round(float(size[0])), round(float(size[1])), K, dist, R, t)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{where}:{exc.field}", exc.value, exc.expected) from None
    if not out:
        raise InvalidInputError(f"{source}:cameras", None, "at least one camera table")
    return out


def read_toml(path: str | Path, translation_scale: float = 1.0) -> dict[str, Camera]:
    """Read a Pose2Sim/anipose ``.toml`` calibration.

    Args:
        path: the file.
        translation_scale: factor turning the file's translations into metres (1 for Pose2Sim).

    Returns:
        Cameras by name, in file order.
    """
    p = Path(path)
    return parse_toml(p.read_text(encoding="utf-8"), str(p), translation_scale)


def _list(values: np.ndarray) -> str:
    return "[ " + ", ".join(repr(float(v)) for v in np.ravel(values)) + ",]"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(v: object) -> str:
    """One TOML value: bool, int, float (nan/inf allowed), str, list, or dict (inline table)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return "nan" if np.isnan(f) else ("inf" if f > 0 else "-inf") if np.isinf(f) else repr(f)
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        sep = ",\n  " if any(isinstance(x, dict) for x in v) else ", "
        return "[ " + sep.join(_value(x) for x in v) + " ]"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def format_toml(cameras: dict[str, Camera], metadata: dict[str, object] | None = None) -> str:
    """Cameras -> Pose2Sim calibration TOML text (translations in m).

    Args:
        cameras: cameras by name.
        metadata: extra ``[metadata]`` keys (bool, int, float, str, lists, dicts as inline
            tables); ``adjusted`` and ``error`` (RMS reprojection error, px) default to false
            and 0.0 as Pose2Sim writes them.

    Returns:
        The TOML document, tables ``[cam_1]`` ... and ``[metadata]``.
    """
    parts = []
    for i, (name, cam) in enumerate(cameras.items(), start=1):
        matrix = "[ " + ", ".join(_list(row) for row in cam.K) + ",]"
        parts.append(
            f"[cam_{i}]\n"
            f"name = {_quote(name)}\n"
            f"size = {_list([cam.width, cam.height])}\n"
            f"matrix = {matrix}\n"
            f"distortions = {_list(cam.dist)}\n"
            f"rotation = {_list(matrix_to_rodrigues(cam.R))}\n"
            f"translation = {_list(cam.t)}\n"
            "fisheye = false\n"
        )
    meta = {"adjusted": False, "error": 0.0, **(metadata or {})}
    parts.append("[metadata]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in meta.items()))
    return "\n".join(parts)


def write_toml(path: str | Path, cameras: dict[str, Camera],
               metadata: dict[str, object] | None = None) -> None:
    """Write cameras as a Pose2Sim calibration TOML file (see :func:`format_toml`)."""
    Path(path).write_text(format_toml(cameras, metadata), encoding="utf-8")
