"""What `posearena calibrate` writes besides the cameras: TOML metadata, quality JSON, summary."""

from __future__ import annotations

import math
from pathlib import Path

from posearena.calibration.calib_quality import coverage
from posearena.calibration.stereo_calib import StereoCalibration

MAX_LISTED = 15  # used pairs listed on stdout, worst first


def _num(v: float) -> float | None:
    """A float for JSON: None for NaN/inf."""
    return float(v) if math.isfinite(v) else None


def pair_label(i: int, left: list[Path], right: list[Path]) -> str:
    """'pair 3 (003.png)' or 'pair 3 (L_003.png | R_003.png)'."""
    a, b = left[i].name, right[i].name
    return f"pair {i} ({a})" if a == b else f"pair {i} ({a} | {b})"


def toml_metadata(cal: StereoCalibration, left: list[Path], right: list[Path],
                  warnings: list[str]) -> dict[str, object]:
    """[metadata] of the TOML file: RMS (error = stereo RMS, px), per camera, every pair.

    A pair without errors (not fitted) has no error keys: no nan, which not every TOML
    reader takes.
    """
    pairs = []
    for p in cal.pairs:
        entry: dict[str, object] = {"index": p.index, "left": left[p.index].name,
                                    "right": right[p.index].name, "status": p.status}
        for key in ("error_px", "error_left_px", "error_right_px"):
            if math.isfinite(getattr(p, key)):
                entry[key] = round(getattr(p, key), 4)
        entry["reason"] = p.detail
        pairs.append(entry)
    return {"adjusted": False, "error": round(cal.rms_px, 4),
            "error_left_px": round(cal.rms_left_px, 4),
            "error_right_px": round(cal.rms_right_px, 4),
            "board": f"{cal.board[0]}x{cal.board[1]}", "square_m": cal.square_m,
            "baseline_m": round(cal.baseline_m, 6), "pairs_used": len(cal.pairs_used),
            "pairs_total": len(cal.pairs), "warnings": warnings, "pairs": pairs}


def _camera(cal: StereoCalibration, side: str) -> dict:
    cam = cal.left if side == "left" else cal.right
    std = cal.std_left if side == "left" else cal.std_right
    cov = coverage(cal, side)
    return {"name": cam.name, "size_px": [cam.width, cam.height],
            "fx_px": float(cam.K[0, 0]), "fy_px": float(cam.K[1, 1]),
            "cx_px": float(cam.K[0, 2]), "cy_px": float(cam.K[1, 2]),
            "std_fx_fy_cx_cy_px": [_num(float(v)) for v in std],
            "distortion_k1_k2_p1_p2_k3": [float(v) for v in cam.dist],
            "rms_px": getattr(cal, f"rms_{side}_px"), "coverage_area": cov.area,
            "corners_per_region": cov.counts.tolist(), "regions_without_corners": cov.empty}


def quality_json(cal: StereoCalibration, left: list[Path], right: list[Path],
                 calibration: Path, coverage_png: Path, advice: list[str],
                 warnings: list[str]) -> dict:
    """Every number of the quality summary (the `<stem>.quality.json` document)."""
    pairs = [{"index": p.index, "left": str(left[p.index]), "right": str(right[p.index]),
              "status": p.status, "reason": p.detail, "error_px": _num(p.error_px),
              "error_left_px": _num(p.error_left_px), "error_right_px": _num(p.error_right_px),
              "blur_left_px": _num(p.blur_left_px), "blur_right_px": _num(p.blur_right_px)}
             for p in cal.pairs]
    return {"calibration": str(calibration), "coverage_image": str(coverage_png),
            "board_inner_corners": list(cal.board), "square_m": cal.square_m,
            "rms_px": cal.rms_px, "rms_left_px": cal.rms_left_px,
            "rms_right_px": cal.rms_right_px, "baseline_m": cal.baseline_m,
            "cameras": {"left": _camera(cal, "left"), "right": _camera(cal, "right")},
            "pairs_used": len(cal.pairs_used), "pairs": pairs, "advice": advice,
            "warnings": warnings}


def summary(cal: StereoCalibration, left: list[Path], right: list[Path], paths,
            advice: list[str]) -> str:
    """The lines printed on stdout: result, dropped pairs, per-pair error, coverage, advice."""
    lines = [f"{paths.calibration}: {len(cal.pairs_used)} of {len(cal.pairs)} pairs used, "
             f"RMS {cal.rms_px:.3f} px (left {cal.rms_left_px:.3f}, right "
             f"{cal.rms_right_px:.3f}), baseline {cal.baseline_m:.4f} m, focal "
             f"{cal.left.focal_px:.1f} / {cal.right.focal_px:.1f} px"]
    dropped = cal.pairs_dropped
    if dropped:
        lines.append(f"dropped {len(dropped)} pair(s):")
        lines += [f"  {pair_label(p.index, left, right)}: {p.status}: {p.detail}"
                  for p in dropped]
    used = sorted((p for p in cal.pairs if p.status == "used"), key=lambda p: -p.error_px)
    shown = used if len(used) <= MAX_LISTED else used[:MAX_LISTED]
    more = "" if shown is used else f", the worst {MAX_LISTED} of {len(used)}"
    lines.append(f"error per pair, px (both views; left, right{more}; all in {paths.quality}):")
    lines += [f"  {pair_label(p.index, left, right)}: {p.error_px:.3f} "
              f"({p.error_left_px:.3f}, {p.error_right_px:.3f})" for p in shown]
    for side in ("left", "right"):
        cov = coverage(cal, side)
        empty = f"; no corner in the {', '.join(cov.empty)}" if cov.empty else ""
        lines.append(f"{side} camera: boards cover {100 * cov.area:.0f} % of the image{empty}")
    lines.append("re-shoot:" if not advice[0].startswith("no re-shoot") else "quality:")
    lines += [f"  - {a}" for a in advice]
    lines.append(f"wrote {paths.calibration}, {paths.coverage} (where the corners fell), "
                 f"{paths.quality}")
    return "\n".join(lines)
