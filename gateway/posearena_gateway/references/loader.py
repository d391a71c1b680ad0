"""`load_reference(spec)`: one entry point for the CLI's reference specs.

Specs: "kinect:FILE", "mocap:FILE" or a bare FILE. The format comes from the file name and
content: ".trc" -> OpenSim markers/joints; ".npz" -> a pose npz written by
`posearena_gateway.exporters.write_npz`; otherwise the column count of the first data line:
66 -> UI-PRMD Kinect positions (angles file found beside it), 117 -> UI-PRMD Vicon markers,
61 / 76 -> Kinect v1 / v2 skeleton text.
"""

from __future__ import annotations

from pathlib import Path

from posearena.errors import InvalidInputError
from posearena_gateway.references.kinect_text import KINECT_TEXT_COLUMNS, read_kinect_text
from posearena_gateway.references.mocap import read_trc_reference, read_vicon
from posearena_gateway.references.pose_npz import read_npz
from posearena_gateway.references.sequence import Sequence3D
from posearena_gateway.references.textio import existing_file, first_data_line
from posearena_gateway.references.uiprmd_kinect import read_uiprmd_kinect

KINDS = ("kinect", "mocap")
#: Format names returned by `detect_format`.
FORMATS = ("uiprmd_kinect", "kinect_text", "uiprmd_vicon", "trc", "npz")
_KINECT_FORMATS = ("uiprmd_kinect", "kinect_text")
_MOCAP_FORMATS = ("uiprmd_vicon", "trc")
_BY_COLUMNS = {66: "uiprmd_kinect", 117: "uiprmd_vicon"} | {
    c: "kinect_text" for c in KINECT_TEXT_COLUMNS
}
_COLUMNS_WHAT = (
    "66 columns (UI-PRMD Kinect positions), 117 (UI-PRMD Vicon markers), 61 or 76 "
    "(Kinect v1/v2 skeleton text: timestamp + joints x 3), or a .trc / .npz file"
)


def split_spec(spec: str) -> tuple[str | None, Path]:
    """Split a reference spec into (kind or None, path).

    Args:
        spec: "kinect:FILE", "mocap:FILE" or "FILE".

    Returns:
        ("kinect" | "mocap" | None, Path).

    Raises:
        InvalidInputError: empty spec or an unknown "kind:" prefix that is not a file name.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidInputError("reference", spec, "'kinect:FILE', 'mocap:FILE' or a file path")
    kind, sep, rest = spec.partition(":")
    if sep and kind.lower() in KINDS:
        return kind.lower(), Path(rest)
    if sep and len(kind) > 1 and "/" not in kind and not Path(spec).exists():
        raise InvalidInputError("reference", spec, f"a kind among {list(KINDS)} before ':'")
    return None, Path(spec)


def detect_format(path: str | Path) -> str:
    """Detect a reference file's format from its name and first data line.

    Args:
        path: reference file.

    Returns:
        one of FORMATS.

    Raises:
        InvalidInputError: missing/empty file, a UI-PRMD angles file given instead of the
            positions file, or an unknown column count (file, line and expected counts named).
    """
    p = existing_file(path, "a reference file")
    name = p.name.lower()
    if name.endswith(".trc"):
        return "trc"
    if name.endswith(".npz"):
        return "npz"
    line, fields, _ = first_data_line(p)
    if not line:
        raise InvalidInputError("path", str(p), f"a data line with {_COLUMNS_WHAT}")
    fmt = _BY_COLUMNS.get(len(fields))
    if fmt is None:
        raise InvalidInputError(f"{p} line {line}", f"{len(fields)} columns", _COLUMNS_WHAT)
    if fmt == "uiprmd_kinect" and "angles" in name and "positions" not in name:
        raise InvalidInputError("path", str(p), "the UI-PRMD positions file, not the angles file")
    return fmt


def load_reference(spec: str) -> Sequence3D:
    """Load a reference sequence from a CLI spec.

    Args:
        spec: "kinect:FILE" (UI-PRMD Kinect positions or Kinect skeleton text), "mocap:FILE"
            (UI-PRMD Vicon positions or .trc), or a bare FILE of any supported format.

    Returns:
        Sequence3D in metres, with its skeleton, fps, frame and up axis.

    Raises:
        InvalidInputError: unknown kind or format, a file of the wrong kind for the prefix,
            bad column counts, missing angles file (path named).
    """
    kind, path = split_spec(spec)
    fmt = detect_format(path)
    allowed = {"kinect": _KINECT_FORMATS, "mocap": _MOCAP_FORMATS}.get(kind or "", FORMATS)
    if fmt not in allowed:
        want = " or ".join(allowed)
        raise InvalidInputError("reference", spec, f"a {kind} file ({want}); this one is {fmt}")
    if fmt == "uiprmd_kinect":
        return read_uiprmd_kinect(path)
    if fmt == "kinect_text":
        return read_kinect_text(path)
    if fmt == "uiprmd_vicon":
        return read_vicon(path)
    if fmt == "trc":
        return read_trc_reference(path)
    return read_npz(path)
