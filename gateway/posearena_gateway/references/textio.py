"""Reading numeric text tables (plain or gzip) with file/line-precise errors."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError

_SPLIT = re.compile(r"[,\s]+")


def existing_file(path: str | Path, what: str, field: str = "path") -> Path:
    """Return `path` as a Path, raising InvalidInputError(field, ...) unless it is a readable
    file (the message says whether it is missing, a folder or unreadable).

    Args:
        path: file path.
        what: description used in the error, e.g. "a UI-PRMD Kinect positions file".
        field: the argument named in the error, e.g. "--checkpoint".
    """
    p = Path(path).expanduser()
    if not p.is_file():
        why = "a folder" if p.is_dir() else "no such file"
        raise InvalidInputError(field, str(path), f"an existing file ({what}; {why})")
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise InvalidInputError(field, str(path), f"a readable file ({what}; {exc.strerror})"
                                ) from exc
    return p


def open_text(path: Path) -> Iterator[str]:
    """Yield the lines of a text file, gunzipping it when its name ends in ".gz".

    Args:
        path: file path.

    Raises:
        InvalidInputError: unreadable, not gzip despite ".gz", or not text.
    """
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                yield from fh
        else:
            with open(path, encoding="utf-8") as fh:
                yield from fh
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InvalidInputError("path", str(path), f"a readable text file ({exc})") from exc


def split_fields(line: str) -> list[str]:
    """Split a data line on commas and/or whitespace (empty fields dropped)."""
    return [f for f in _SPLIT.split(line.strip()) if f]


def first_data_line(path: Path, max_lines: int = 200) -> tuple[int, list[str], list[str]]:
    """Peek at a table: the first non-comment, non-empty line and the '#' comments before it.

    Args:
        path: text file (plain or .gz).
        max_lines: stop looking after this many lines.

    Returns:
        (1-based line number or 0 if none, its fields, comment lines without the '#').
    """
    comments: list[str] = []
    for n, line in enumerate(open_text(path), start=1):
        s = line.strip()
        if s.startswith("#"):
            comments.append(s[1:].strip())
        elif s:
            return n, split_fields(s), comments
        if n >= max_lines:
            break
    return 0, [], comments


def read_table(
    path: Path, expected: tuple[int, ...], what: str, comma_only: bool = False
) -> tuple[np.ndarray, list[str]]:
    """Read a numeric table, one row per non-empty, non-'#' line.

    Every row must have the column count of the first row, and that count must be one of
    `expected`. Fields "nan"/"NaN" are accepted; other non-numbers are errors.

    Args:
        path: text file (plain or .gz).
        expected: allowed column counts, e.g. (61, 76).
        what: description of the expected count, used in errors, e.g. "76 (timestamp + 25x3)".
        comma_only: split on commas only (UI-PRMD files), else on commas and/or whitespace.

    Returns:
        (N, C) float64 array and the '#' comment lines (without the '#').

    Raises:
        InvalidInputError: field "<file> line <n>" naming the line, its count and the expected
            count; or an empty table.
    """
    rows: list[list[float]] = []
    comments: list[str] = []
    ncols = 0
    for n, line in enumerate(open_text(path), start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            comments.append(s[1:].strip())
            continue
        fields = [f.strip() for f in s.split(",")] if comma_only else split_fields(s)
        if not ncols:
            ncols = len(fields)
        where = f"{path} line {n}"
        if len(fields) not in expected or len(fields) != ncols:
            want = what if len(fields) not in expected else f"{ncols} columns (as the first row)"
            raise InvalidInputError(where, f"{len(fields)} columns", want)
        try:
            rows.append([float(f) for f in fields])
        except ValueError as exc:
            raise InvalidInputError(where, s[:60], f"numbers only ({exc})") from exc
    if not rows:
        raise InvalidInputError("path", str(path), f"at least one data row of {what}")
    return np.asarray(rows, dtype=np.float64), comments
