"""Per-frame joint angles out: OpenSim `.mot` files and one long paired CSV, with readers.

- `.mot` (OpenSim motion / storage file): header lines `<name>`, `version=1`, `nRows=T`,
  `nColumns=1+A`, `inDegrees=yes`, `endheader`, then a tab-separated row of column labels
  `time <angle> ...` and one row per frame: time in s, angles in degrees, NaN for missing.
- Long CSV: header `subject,trial,frame,time_s,measure,pred,ref,pipeline`, one row per
  frame × angle × pipeline: the pipeline's angle (`pred`) and the reference's (`ref`) on
  the reference's clock (frame i at time_s = i / fps), degrees, missing values as empty
  fields. The layout that `poseaudit paired --table` and spreadsheets read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posearena.errors import InvalidInputError
from posearena_gateway.references.textio import existing_file
from posearena_gateway.rundir import atomic_write_text

#: Columns of the long angle CSV, in order.
ANGLE_CSV_COLUMNS = ("subject", "trial", "frame", "time_s", "measure", "pred", "ref",
                     "pipeline")


def _num(x: float, digits: int = 6) -> str:
    return f"{x:.{digits}f}" if np.isfinite(x) else ""


def write_mot(path: str | Path, angles: dict[str, np.ndarray], fps: float,
              name: str = "") -> None:
    """Write angle signals as an OpenSim `.mot` file (degrees, atomic).

    Args:
        path: output file.
        angles: angle name -> (T,) degrees (NaN = missing); every signal of length T.
        fps: rate in Hz; frame i is at time i / fps.
        name: first header line (default: the file name).

    Raises:
        InvalidInputError: no angle, signals of different lengths, or fps <= 0.
    """
    if not angles:
        raise InvalidInputError("angles", "{}", "at least one angle signal")
    lengths = {len(np.asarray(v)) for v in angles.values()}
    if len(lengths) != 1:
        raise InvalidInputError("angles", sorted(lengths), "signals of one length")
    if not fps > 0:
        raise InvalidInputError("fps", fps, "a rate > 0 Hz")
    t = lengths.pop()
    names = list(angles)
    cols = np.stack([np.asarray(angles[k], dtype=np.float64) for k in names], axis=1)
    lines = [name or Path(path).name, "version=1", f"nRows={t}", f"nColumns={len(names) + 1}",
             "inDegrees=yes", "endheader", "\t".join(["time", *names])]
    for i in range(t):
        vals = [f"{v:.6f}" if np.isfinite(v) else "NaN" for v in cols[i]]
        lines.append("\t".join([f"{i / fps:.6f}", *vals]))
    atomic_write_text(Path(path), "\n".join(lines) + "\n")


@dataclass(frozen=True)
class Motion:
    """Angles read from a `.mot` file: times (T,) s and angle name -> (T,) degrees."""

    times: np.ndarray
    angles: dict[str, np.ndarray]


def read_mot(path: str | Path) -> Motion:
    """Read a `.mot` file written by `write_mot` (or OpenSim, in degrees).

    Raises:
        InvalidInputError: missing file, no `endheader`, first column not time, or a
            header saying the values are in radians.
    """
    p = existing_file(path, "mot file")
    lines = p.read_text(encoding="utf-8").splitlines()
    try:
        end = next(i for i, s in enumerate(lines) if s.strip().lower() == "endheader")
    except StopIteration:
        raise InvalidInputError("mot file", str(p), "a header ending in endheader") from None
    header = {k.strip().lower(): v.strip().lower()
              for k, _, v in (s.partition("=") for s in lines[:end])}
    if header.get("indegrees", "yes") != "yes":
        raise InvalidInputError("inDegrees", header["indegrees"], "yes (angles in degrees)")
    names = lines[end + 1].split("\t")
    if names[0] != "time":
        raise InvalidInputError("mot file first column", names[0], "time")
    rows = np.array([[float(c) for c in s.split("\t")] for s in lines[end + 2:] if s.strip()],
                    dtype=np.float64).reshape(-1, len(names))
    return Motion(rows[:, 0], {n: rows[:, j] for j, n in enumerate(names) if j})


def angle_rows(subject: str, trial: str, pipeline: str, fps: float,
               cand: dict[str, np.ndarray], ref: dict[str, np.ndarray]) -> Iterable[list[str]]:
    """Rows of the long CSV for one pipeline: every frame of every angle both have.

    Args:
        subject, trial, pipeline: labels written in every row.
        fps: the reference's rate, Hz (time_s = frame / fps).
        cand, ref: angle name -> (T,) degrees on the reference's clock.
    """
    for measure in sorted(set(cand) & set(ref)):
        c, r = np.asarray(cand[measure]), np.asarray(ref[measure])
        for i in range(min(len(c), len(r))):
            yield [subject, trial, str(i), f"{i / fps:.6f}", measure, _num(c[i]), _num(r[i]),
                   pipeline]


def write_rows_csv(path: str | Path, header: tuple[str, ...],
                   rows: Iterable[list[str]]) -> None:
    """Write a CSV of already formatted text fields (quoted where needed, atomic)."""
    lines = [",".join(header)]
    for row in rows:
        if len(row) != len(header):
            raise InvalidInputError("csv row", row, f"{len(header)} fields: {header}")
        lines.append(",".join(_csv_field(x) for x in row))
    atomic_write_text(Path(path), "\n".join(lines) + "\n")


def write_angle_csv(path: str | Path, rows: Iterable[list[str]]) -> None:
    """Write the long angle CSV (header `ANGLE_CSV_COLUMNS`, rows from `angle_rows`)."""
    write_rows_csv(path, ANGLE_CSV_COLUMNS, rows)


def _csv_field(x: str) -> str:
    return f'"{x.replace(chr(34), chr(34) * 2)}"' if any(ch in x for ch in ',"\n') else x


def read_angle_csv(path: str | Path) -> dict[str, list]:
    """Read a long angle CSV into columns: text columns as str, numbers as float (NaN blank).

    Returns:
        column name -> list of values, for every column of `ANGLE_CSV_COLUMNS`.
    """
    p = existing_file(path, "angle csv")
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ANGLE_CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInputError("angle csv header", reader.fieldnames, f"also {missing}")
        cols: dict[str, list] = {c: [] for c in ANGLE_CSV_COLUMNS}
        for row in reader:
            for c in ANGLE_CSV_COLUMNS:
                v = row[c]
                if c in ("frame",):
                    cols[c].append(int(v))
                elif c in ("time_s", "pred", "ref"):
                    cols[c].append(float(v) if v.strip() else float("nan"))
                else:
                    cols[c].append(v)
    return cols
