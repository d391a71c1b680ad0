"""Checks of every `posearena calibrate` input and output path, before any corner is detected.

Each check raises InvalidInputError naming the flag, the value and what was expected; the CLI
prints it as one line and exits with status 2.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from posearena.calibration.io import output_format
from posearena.errors import InvalidInputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
LENGTH_UNITS_M = {"": 1.0, "m": 1.0, "cm": 0.01, "mm": 0.001}
_LENGTH = re.compile(r"^\s*((?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(mm|cm|m)?\s*$", re.IGNORECASE)
_BOARD = re.compile(r"^\s*(\d+)\s*[x×]\s*(\d+)\s*$", re.IGNORECASE)
_FORMAT_SUFFIXES = (".qca.txt", ".qca", ".xml", ".yml", ".yaml", ".json", ".toml")


def parse_board(text: str) -> tuple[int, int]:
    """'9x6' -> (9, 6): inner corners (cols, rows), each >= 3 (OpenCV's detector needs 3)."""
    m = _BOARD.match(text)
    if not m or min(int(m.group(1)), int(m.group(2))) < 3:
        raise InvalidInputError("--board", text, "inner corners COLSxROWS, each >= 3, e.g. 9x6 "
                                "(a board of 10 x 7 squares)")
    return int(m.group(1)), int(m.group(2))


def parse_length_m(flag: str, text: str) -> float:
    """A length with an optional unit -> metres: '0.025', '0.025m', '2.5cm', '25mm'.

    A bare number is metres.

    Raises:
        InvalidInputError: not a positive finite number with mm, cm or m.
    """
    m = _LENGTH.match(str(text))
    value = float(m.group(1)) * LENGTH_UNITS_M[(m.group(2) or "").lower()] if m else 0.0
    if not m or not 0.0 < value < float("inf"):
        raise InvalidInputError(flag, text, "a positive length: 0.025 (a bare number is "
                                "metres), 0.025m, 2.5cm or 25mm")
    return value


def parse_names(text: str) -> tuple[str, str]:
    """'left,right' -> ("left", "right"): two different non-empty camera names."""
    names = tuple(n.strip() for n in text.split(","))
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise InvalidInputError("--names", text, "two different names, e.g. left,right")
    return names[0], names[1]


def image_folder(flag: str, folder: str) -> list[Path]:
    """The image files of `folder` in sorted file-name order.

    Raises:
        InvalidInputError: no such folder, not a folder, or no image file in it.
    """
    p = Path(folder).expanduser()
    if not p.exists():
        raise InvalidInputError(flag, folder, "an existing folder of checkerboard images "
                                "(no such folder)")
    if not p.is_dir():
        raise InvalidInputError(flag, folder, "a folder of checkerboard images (this is a file)")
    files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        others = sum(1 for _ in p.iterdir())
        kinds = " ".join(sorted(IMAGE_SUFFIXES))
        raise InvalidInputError(flag, folder, f"a folder with image files ({kinds}); it holds "
                                f"none ({others} other entries)")
    return files


def same_count(left: list[Path], right: list[Path], flags: tuple[str, str]) -> None:
    """Both folders hold as many images; else name the files that have no partner."""
    if len(left) == len(right):
        return
    nl, nr = {f.name for f in left}, {f.name for f in right}
    hint = ""
    if nl & nr:  # same file names on both sides: say which are missing
        only_l, only_r = sorted(nl - nr)[:3], sorted(nr - nl)[:3]
        hint = "; ".join(s for s in (f"only in {flags[0]}: {', '.join(only_l)}" if only_l else "",
                                     f"only in {flags[1]}: {', '.join(only_r)}" if only_r else "")
                         if s)
        hint = f" ({hint})" if hint else ""
    raise InvalidInputError(flags[1], f"{len(right)} images in {right[0].parent}",
                            f"{len(left)} images, as many as {flags[0]} {left[0].parent} "
                            f"(pairs are matched in sorted file-name order){hint}")


def image_sizes(flag: str, files: list[Path]) -> tuple[int, int]:
    """(W, H) px shared by every image of one camera, read without decoding the images.

    Raises:
        InvalidInputError: a file that is not a readable image, or sizes that differ.
    """
    from PIL import Image, UnidentifiedImageError  # matplotlib's dependency

    size = None
    for f in files:
        try:
            with Image.open(f) as im:
                this = im.size
                im.verify()  # reads the file without decoding it: catches truncated PNGs
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:  # verify: SyntaxError
            why = ("not an image" if isinstance(exc, UnidentifiedImageError)
                   else getattr(exc, "strerror", None) or str(exc))
            raise InvalidInputError(flag, str(f), f"a readable image file ({why})") from None
        if size is None:
            size, first = this, f
        elif this != size:
            raise InvalidInputError(flag, f"{f} is {this[0]}x{this[1]} px",
                                    f"{size[0]}x{size[1]} px like {first.name}: one camera, "
                                    "one image size")
    return size


@dataclass
class OutputPaths:
    """Where `posearena calibrate` writes: the calibration and its two companions."""

    calibration: Path
    quality: Path  # <stem>.quality.json: every number of the quality summary
    coverage: Path  # <stem>.coverage.png: where the corners fell in each camera


def output_paths(output: str) -> OutputPaths:
    """Check --output: a supported extension, in an existing, writable folder.

    Raises:
        InvalidInputError: unsupported extension, a folder, missing or unwritable folder.
    """
    p = Path(output).expanduser()
    if p.is_dir():
        raise InvalidInputError("--output", output, "a file name (this is a folder)")
    try:
        output_format(p)
    except InvalidInputError:
        raise InvalidInputError("--output", output, "a calibration file .toml (Pose2Sim), "
                                ".yml/.yaml/.json (OpenCV) or .qca.txt (Qualisys)") from None
    folder = p.parent
    if not folder.is_dir():
        why = "is a file, not a folder" if folder.exists() else "does not exist; create it first"
        raise InvalidInputError("--output", output, f"a file in an existing folder ({folder} "
                                f"{why})")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".posearena-write-test-"):
            pass
        if p.exists():
            with open(p, "ab"):
                pass
    except OSError as exc:
        raise InvalidInputError("--output", output, f"a file where one can write (writing in "
                                f"{folder}: {exc.strerror})") from None
    name = p.name
    stem = next((name[:-len(s)] for s in _FORMAT_SUFFIXES if name.lower().endswith(s)), name)
    return OutputPaths(p, folder / f"{stem}.quality.json", folder / f"{stem}.coverage.png")
