"""The sessions of a study: from a manifest CSV or from the UI-PRMD folder layout.

A session is one comparison (one run directory): either two recorded skeleton files
(`reference` against `candidate`, as `posearena compare-skeletons`) or synchronised videos
with their calibration and reference (as `posearena compare`).

Manifest CSV columns (header required; `subject` and `exercise` plus one of `candidate` or
`videos`):
    subject      e.g. s01 (the bootstrap's cluster)
    exercise     e.g. m07 or "shoulder abduction" (the study's table is per exercise)
    trial        optional, e.g. e01 (default: the row number); unique within subject+exercise
    reference    FILE, kinect:FILE, mocap:FILE (skeletons), or multiview / kinect:FILE /
                 mocap:FILE (videos; default multiview)
    candidate    skeleton FILE or kinect:/mocap: FILE (a skeleton session)
    videos       video files separated by ";" (a video session)
    calib        calibration file (video sessions)
    cameras      camera names separated by ";" (optional)
    pipelines    pipelines separated by ";" (optional, default: the default set)
    name         the candidate's pipeline name in a skeleton session (default: "candidate")
Relative paths are taken relative to the manifest's folder.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from posearena.errors import InvalidInputError

#: UI-PRMD movements (Vakanski et al. 2018).
UIPRMD_EXERCISES = {
    "m01": "deep squat", "m02": "hurdle step", "m03": "inline lunge", "m04": "side lunge",
    "m05": "sit to stand", "m06": "standing active straight leg raise",
    "m07": "standing shoulder abduction", "m08": "standing shoulder extension",
    "m09": "standing shoulder internal-external rotation",
    "m10": "standing shoulder scaption",
}  # fmt: skip
UIPRMD_PIPELINE = "kinect v2"
_UIPRMD_NAME = re.compile(r"^(m\d\d)_(s\d\d)_(e\d\d)_positions\.txt(\.gz)?$")


@dataclass(frozen=True)
class Session:
    """One comparison of a study.

    Attributes:
        subject, exercise, trial: labels (subject = bootstrap cluster).
        reference: reference spec (a skeleton FILE / kinect:FILE / mocap:FILE, or multiview).
        candidate: skeleton spec of a skeleton session, "" for a video session.
        videos, calib, cameras, pipelines: inputs of a video session.
        name: pipeline name of a skeleton session's candidate.
    """

    subject: str
    exercise: str
    trial: str
    reference: str
    candidate: str = ""
    videos: tuple[str, ...] = ()
    calib: str = ""
    cameras: tuple[str, ...] = ()
    pipelines: tuple[str, ...] = ()
    name: str = "candidate"

    @property
    def key(self) -> str:
        """Run-directory path of the session below the study's `sessions/` folder."""
        return "/".join(_safe(p) for p in (self.subject, f"{self.exercise}_{self.trial}"))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "unnamed"


def uiprmd_sessions(root: str | Path) -> list[Session]:
    """Every subject × exercise × episode with both Kinect and Vicon positions.

    Args:
        root: the UI-PRMD folder holding `Kinect/Positions` and `Vicon/Positions`.

    Returns:
        Sessions sorted by subject, exercise and episode; Vicon is the reference.

    Raises:
        InvalidInputError: the folders are missing or no pair is found.
    """
    base = Path(root)
    kin, vic = base / "Kinect" / "Positions", base / "Vicon" / "Positions"
    for d in (kin, vic):
        if not d.is_dir():
            raise InvalidInputError("--uiprmd", str(root), f"a UI-PRMD folder with {d}")
    sessions = []
    for v in sorted(vic.iterdir()):
        m = _UIPRMD_NAME.match(v.name)
        k = kin / v.name
        if m is None or not k.is_file():
            continue
        movement, subject, episode = m.group(1), m.group(2), m.group(3)
        sessions.append(Session(subject=subject, exercise=movement, trial=episode,
                                reference=f"mocap:{v}", candidate=f"kinect:{k}",
                                name=UIPRMD_PIPELINE))
    if not sessions:
        raise InvalidInputError("--uiprmd", str(root),
                                "Kinect and Vicon positions files of the same episodes "
                                "(mMM_sSS_eEE_positions.txt.gz)")
    return sorted(sessions, key=lambda s: (s.subject, s.exercise, s.trial))


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(";") if p.strip())


def _path(text: str, base: Path) -> str:
    """A path (or kind:path spec) made relative to the manifest's folder when relative."""
    if not text or text in ("multiview", "none"):
        return text
    kind, sep, rest = text.partition(":")
    if sep and kind in ("kinect", "mocap", "file"):
        return f"{kind}:{_path(rest, base)}"
    p = Path(text).expanduser()
    return str(p if p.is_absolute() else (base / p))


def manifest_sessions(path: str | Path) -> list[Session]:
    """Sessions of a manifest CSV (columns in the module docstring).

    Raises:
        InvalidInputError: missing file or columns, a row with neither candidate nor videos,
            or two rows with the same subject, exercise and trial (the field is named).
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError("--manifest", str(path), "an existing CSV file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError("--manifest", str(path), f"a readable UTF-8 CSV file ({exc})"
                                ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    cols = set(reader.fieldnames or [])
    missing = {"subject", "exercise"} - cols
    if missing or not cols & {"candidate", "videos"}:
        raise InvalidInputError("--manifest columns", sorted(cols),
                                "subject, exercise and candidate or videos")
    rows = list(reader)
    sessions, seen = [], set()
    for i, row in enumerate(rows, start=2):
        get = {k: (v or "").strip() for k, v in row.items() if k}
        if not get.get("subject") or not get.get("exercise"):
            raise InvalidInputError(f"--manifest line {i}", row, "a subject and an exercise")
        cand, videos = get.get("candidate", ""), _split(get.get("videos", ""))
        if bool(cand) == bool(videos):
            raise InvalidInputError(f"--manifest line {i}", row,
                                    "either a candidate skeleton file or videos")
        trial = get.get("trial") or str(i - 1)
        ident = (get["subject"], get["exercise"], trial)
        if ident in seen:
            raise InvalidInputError(f"--manifest line {i}", ident,
                                    "a subject, exercise and trial not used before")
        seen.add(ident)
        ref = get.get("reference") or ("" if cand else "multiview")
        if cand and not ref:
            raise InvalidInputError(f"--manifest line {i} reference", "", "a reference file")
        sessions.append(Session(
            subject=get["subject"], exercise=get["exercise"], trial=trial,
            reference=_path(ref, p.parent), candidate=_path(cand, p.parent),
            videos=tuple(_path(v, p.parent) for v in videos),
            calib=_path(get.get("calib", ""), p.parent), cameras=_split(get.get("cameras", "")),
            pipelines=_split(get.get("pipelines", "")), name=get.get("name") or "candidate"))
    if not sessions:
        raise InvalidInputError("--manifest", str(path), "at least one session row")
    return sessions
