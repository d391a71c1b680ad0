"""Calibration files: detect the format and read or write any supported one."""

from __future__ import annotations

from pathlib import Path

from posearena.calibration.camera import Camera
from posearena.calibration.opencv_fs import parse_opencv, write_opencv
from posearena.calibration.qualisys import parse_qualisys, write_qualisys
from posearena.calibration.toml_format import parse_toml, write_toml
from posearena.errors import InvalidInputError

FORMATS = ("qualisys", "opencv", "toml")


def detect_format(path: str | Path, text: str | None = None) -> str:
    """Guess a calibration file's format from its content, then its extension.

    Args:
        path: the file name.
        text: its content (read from ``path`` when None).

    Returns:
        "qualisys" (XML), "opencv" (FileStorage YAML/JSON) or "toml" (Pose2Sim/anipose).
    """
    p = Path(path)
    if text is None:
        text = p.read_text(encoding="utf-8", errors="replace")
    head = text.lstrip()[:4096]
    if head.startswith("<?xml") or head.startswith("<calibration"):
        return "qualisys"
    if head.startswith("%YAML") or head.startswith("{"):
        return "opencv"
    if head.startswith("[") or "\n[" in head:
        return "toml"
    by_name = _format_of_name(p)
    if by_name is None:
        raise InvalidInputError(str(p), head[:40],
                                "a Qualisys .qca.txt, OpenCV YAML/JSON or TOML file")
    return by_name


_EXTENSIONS = (((".qca.txt", ".qca", ".xml"), "qualisys"), ((".yml", ".yaml", ".json"), "opencv"),
               ((".toml",), "toml"))


def _format_of_name(path: str | Path) -> str | None:
    """The format a file name's extension means (None: no known extension)."""
    name = Path(path).name.lower()
    return next((fmt for exts, fmt in _EXTENSIONS if name.endswith(exts)), None)


def load_calibration(path: str | Path, fmt: str | None = None) -> dict[str, Camera]:
    """Read a calibration file of any supported format.

    Args:
        path: the file (.qca.txt, .yml/.yaml/.json, .toml).
        fmt: force a format ("qualisys", "opencv", "toml"); detected from content when None.

    Returns:
        Cameras by name, in file order (OpenCV axes, metres, px).

    Raises:
        InvalidInputError: missing/unreadable file, unknown format, malformed content; the
            message names the file and the field.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InvalidInputError(str(p), exc.strerror, "a readable calibration file") from None
    fmt = fmt or detect_format(p, text)
    if fmt == "qualisys":
        return parse_qualisys(text, str(p))
    if fmt == "opencv":
        return parse_opencv(text, str(p), default_name=p.name.split(".")[0] or "cam0")
    if fmt == "toml":
        return parse_toml(text, str(p))
    raise InvalidInputError("fmt", fmt, f"one of {FORMATS}")


def output_format(path: str | Path) -> str:
    """The format :func:`save_calibration` writes for this file name.

    Raises:
        InvalidInputError: an extension other than .qca.txt/.qca/.xml, .yml/.yaml/.json, .toml.
    """
    fmt = _format_of_name(path)
    if fmt is None:
        raise InvalidInputError("path", str(path), "an extension .qca.txt, .yml, .json or .toml")
    return fmt


def save_calibration(path: str | Path, cameras: dict[str, Camera], fmt: str | None = None,
                     metadata: dict[str, object] | None = None) -> None:
    """Write cameras in a supported format, chosen by ``fmt`` or the file extension.

    Args:
        path: output file (.qca.txt/.xml -> Qualisys, .yml/.yaml/.json -> OpenCV, .toml).
        cameras: cameras by name.
        fmt: force a format ("qualisys", "opencv", "toml").
        metadata: ``[metadata]`` keys of a TOML file (see ``format_toml``); other formats
            have no place for them and ignore them.
    """
    p = Path(path)
    if not cameras:
        raise InvalidInputError("cameras", cameras, "at least one camera")
    fmt = fmt or output_format(p)
    if fmt == "toml":
        write_toml(p, cameras, metadata)
        return
    writers = {"qualisys": write_qualisys, "opencv": write_opencv}
    if fmt not in writers:
        raise InvalidInputError("fmt", fmt, f"one of {FORMATS}")
    writers[fmt](p, cameras)
