"""Multi-person parsing of OpenPose network outputs (heatmaps + part affinity fields).

Follows OpenPose's CPU body-part connector: peaks per part (`peaks.find_peaks`); for each limb
in the model's order, every candidate pair is scored by the PAF line integral (5..25 samples
from A towards B, by the limb length; a sample counts when the PAF projected on the A->B
direction exceeds `inter_threshold`; the pair is kept when more than `inter_min_above` of the
samples count, with score = mean of the counted samples); pairs are taken greedily by score,
each candidate used once per limb; limbs grow people along the tree (the first limb starts
them, later limbs attach B to the person holding A or start a new one, the ear-shoulder limbs
only fill gaps); people with fewer than `min_parts` parts (feet not counted for BODY_25) or a
mean score per part below `min_mean_score` are dropped. Person score = total score / (parts +
limbs), as OpenPose reports it. No gRPC here.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from posearena.errors import InvalidInputError
from posearena_openpose.peaks import Peaks, find_peaks
from posearena_openpose.spec import ModelSpec

_MAX_SAMPLES = 25


@dataclass(frozen=True)
class ParserConfig:
    """Parsing thresholds; defaults are OpenPose's (poseParameters.cpp, non-COCO-challenge).

    Attributes:
        nms_threshold: minimum heatmap value of a peak.
        inter_threshold: minimum PAF projection of a counted line sample.
        inter_min_above: fraction of samples that must count (strictly more than).
        min_parts: minimum parts of a person (feet excluded for BODY_25).
        min_mean_score: minimum total score / parts of a person.
        max_peaks: peaks kept per part.
        offset_px: added to every output coordinate (px); OpenPose itself adds 0.5 px
            ("Matlab format"), set 0.5 to reproduce its JSON numbers exactly.
    """

    nms_threshold: float = 0.05
    inter_threshold: float = 0.05
    inter_min_above: float = 0.95
    min_parts: int = 3
    min_mean_score: float = 0.4
    max_peaks: int = 127
    offset_px: float = 0.0


@dataclass(frozen=True)
class GridMapping:
    """Affine map from output-grid cells to image px (same along x and y).

    Attributes:
        origin_px: image px of cell 0's centre.
        px_per_cell: image px per cell.
        net_px_per_cell: network-input px per cell (sets the line-sample count, as OpenPose
            counts samples in network-input px).
    """

    origin_px: float
    px_per_cell: float
    net_px_per_cell: float

    def to_image(self, cells: np.ndarray) -> np.ndarray:
        """(..., 2) grid cells -> (..., 2) image px."""
        return self.origin_px + np.asarray(cells, dtype=np.float64) * self.px_per_cell


@dataclass
class Person:
    """One parsed person.

    Attributes:
        keypoints: (J, 2) float64 image px, NaN where the part was not found.
        confidence: (J,) float64 heatmap peak values in [0, 1], 0 where not found.
        score: person score in [0, 1].
        box: (4,) x0, y0, x1, y1 px around the found keypoints.
    """

    keypoints: np.ndarray
    confidence: np.ndarray
    score: float
    box: np.ndarray


def upsample_maps(
    heatmaps: np.ndarray, pafs: np.ndarray, mapping: GridMapping, factor: int
) -> tuple[np.ndarray, np.ndarray, GridMapping]:
    """Bicubically upsample the maps by an integer factor (OpenPose uses 8: the net input).

    Args:
        heatmaps: (Jh, h, w); pafs: (2K, h, w).
        mapping: grid -> image px of the input maps.
        factor: integer >= 1.

    Returns:
        (heatmaps (Jh, f h, f w), pafs (2K, f h, f w), mapping of the new grid).
    """
    if factor < 1:
        raise InvalidInputError("upsample", factor, "an integer >= 1")
    if factor == 1:
        return heatmaps, pafs, mapping

    def up(stack: np.ndarray) -> np.ndarray:
        h, w = stack.shape[1:]
        hwc = np.ascontiguousarray(np.moveaxis(stack.astype(np.float32), 0, -1))
        chunks = [
            cv2.resize(hwc[..., i : i + 4], (w * factor, h * factor), interpolation=cv2.INTER_CUBIC)
            for i in range(0, hwc.shape[-1], 4)
        ]
        out = np.concatenate([c.reshape(h * factor, w * factor, -1) for c in chunks], axis=-1)
        return np.moveaxis(out, -1, 0)

    new = GridMapping(
        origin_px=mapping.origin_px + mapping.px_per_cell * (0.5 / factor - 0.5),
        px_per_cell=mapping.px_per_cell / factor,
        net_px_per_cell=mapping.net_px_per_cell / factor,
    )
    return up(heatmaps), up(pafs), new


def _bilinear(field: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, w = field.shape
    x = np.clip(x, 0, w - 1)
    y = np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(np.intp), w - 1)
    y0 = np.minimum(np.floor(y).astype(np.intp), h - 1)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = x - x0, y - y0
    top = field[y0, x0] * (1 - fx) + field[y0, x1] * fx
    bottom = field[y1, x0] * (1 - fx) + field[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def limb_scores(
    a: np.ndarray, b: np.ndarray, paf_x: np.ndarray, paf_y: np.ndarray,
    net_px_per_cell: float, cfg: ParserConfig,
) -> np.ndarray:
    """PAF line-integral score of every candidate pair of one limb.

    Args:
        a: (nA, 2) part-A candidates in cells; b: (nB, 2) part-B candidates in cells.
        paf_x, paf_y: (h, w) the limb's PAF components.
        net_px_per_cell: network-input px per cell (sample count 5..25 ~ sqrt(5 * length)).
        cfg: thresholds.

    Returns:
        (nA, nB) scores; 0 where the pair is rejected.
    """
    d = b[None, :, :] - a[:, None, :]  # (nA, nB, 2)
    norm = np.hypot(d[..., 0], d[..., 1])
    longest = np.abs(d).max(axis=-1) * net_px_per_cell
    n = np.clip(np.rint(np.sqrt(5.0 * longest)), 5, _MAX_SAMPLES)
    steps = np.arange(_MAX_SAMPLES)
    valid = steps[None, None, :] < n[..., None]
    t = steps[None, None, :] / n[..., None]
    px = a[:, None, None, 0] + t * d[..., None, 0]
    py = a[:, None, None, 1] + t * d[..., None, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ux, uy = d[..., 0] / norm, d[..., 1] / norm
    s = ux[..., None] * _bilinear(paf_x, px, py) + uy[..., None] * _bilinear(paf_y, px, py)
    above = valid & (s > cfg.inter_threshold)
    count = above.sum(axis=-1)
    total = np.where(above, s, 0.0).sum(axis=-1)
    ok = (norm > 1e-6) & (count / n > cfg.inter_min_above)
    return np.where(ok, total / np.maximum(count, 1), 0.0)


def _match(scores: np.ndarray) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching by descending score (OpenPose's per-limb assignment)."""
    ia, ib = np.nonzero(scores > 1e-6)
    order = np.argsort(-scores[ia, ib], kind="stable")
    used_a, used_b, out = set(), set(), []
    limit = min(scores.shape)
    for k in order:
        i, j = int(ia[k]), int(ib[k])
        if i in used_a or j in used_b:
            continue
        out.append((i, j, float(scores[i, j])))
        if len(out) == limit:
            break
        used_a.add(i)
        used_b.add(j)
    return out


def assemble(
    peaks: list[Peaks], pafs: np.ndarray, spec: ModelSpec, net_px_per_cell: float,
    cfg: ParserConfig,
) -> list[tuple[np.ndarray, float, int]]:
    """Group part candidates into people along the limb tree.

    Args:
        peaks: per-part candidates (grid cells).
        pafs: (2K, h, w) PAFs in the model's channel order.
        spec: model limbs and PAF channels.
        net_px_per_cell: see `limb_scores`.
        cfg: thresholds.

    Returns:
        Kept people as (parts (J,) int candidate index or -1, total score, counted parts).
    """
    J = spec.num_parts
    people: list[list] = []  # [parts array, score, count]
    for k, (pa, pb) in enumerate(spec.pairs):
        cand_a, cand_b = peaks[pa], peaks[pb]
        if len(cand_a) == 0 or len(cand_b) == 0:
            part, cand = (pb, cand_b) if len(cand_a) == 0 else (pa, cand_a)
            taken = {int(p[0][part]) for p in people}
            for i in range(len(cand)):
                if i not in taken:
                    parts = np.full(J, -1, dtype=np.intp)
                    parts[part] = i
                    people.append([parts, float(cand.score[i]), 1])
            continue
        cx, cy = spec.paf_index[k]
        conns = _match(limb_scores(cand_a.xy, cand_b.xy, pafs[cx], pafs[cy], net_px_per_cell, cfg))
        for i, j, s in conns:
            if k in spec.ear_pairs:
                for p in people:
                    if p[0][pa] == i and p[0][pb] < 0:
                        p[0][pb] = j
                    elif p[0][pb] == j and p[0][pa] < 0:
                        p[0][pa] = i
                continue
            owner = None if k == 0 else next((p for p in people if p[0][pa] == i), None)
            if owner is not None:
                owner[0][pb] = j
                owner[1] += float(cand_b.score[j]) + s
                owner[2] += 1
            else:
                parts = np.full(J, -1, dtype=np.intp)
                parts[pa], parts[pb] = i, j
                people.append([parts, float(cand_a.score[i] + cand_b.score[j]) + s, 2])
    kept = []
    for parts, score, count in people:
        feet = int(np.sum(parts[list(spec.foot_parts)] >= 0)) if spec.foot_parts else 0
        counted = count - feet
        if counted >= cfg.min_parts and counted > 0 and score / counted >= cfg.min_mean_score:
            kept.append((parts, score, counted))
    return kept


def parse_maps(
    heatmaps: np.ndarray,
    pafs: np.ndarray,
    spec: ModelSpec,
    mapping: GridMapping,
    cfg: ParserConfig | None = None,
) -> list[Person]:
    """Parse network outputs into people in image px.

    Args:
        heatmaps: (J + 1, h, w) or (J, h, w) part heatmaps (background ignored), grid cells.
        pafs: (2K, h, w) PAFs, OpenPose's channel order for `spec`.
        spec: the model.
        mapping: grid cell -> image px.
        cfg: thresholds (OpenPose's defaults when None).

    Returns:
        People sorted by descending score.

    Raises:
        InvalidInputError: channel counts or grid sizes that do not fit `spec`.
    """
    cfg = cfg or ParserConfig()
    J = spec.num_parts
    hm, pf = np.asarray(heatmaps), np.asarray(pafs)
    if hm.ndim != 3 or hm.shape[0] not in (J, J + 1):
        raise InvalidInputError("heatmaps.shape", hm.shape, f"({J} or {J + 1}, h, w)")
    if pf.ndim != 3 or pf.shape != (spec.num_pafs, *hm.shape[1:]):
        raise InvalidInputError("pafs.shape", pf.shape, f"({spec.num_pafs}, {hm.shape[1:]})")
    peaks = find_peaks(hm[:J], cfg.nms_threshold, cfg.max_peaks)
    people = []
    n_terms = J + len(spec.pairs)
    for parts, score, _ in assemble(peaks, pf, spec, mapping.net_px_per_cell, cfg):
        kp = np.full((J, 2), np.nan)
        conf = np.zeros(J)
        for j in np.nonzero(parts >= 0)[0]:
            kp[j] = mapping.to_image(peaks[j].xy[parts[j]]) + cfg.offset_px
            conf[j] = peaks[j].score[parts[j]]
        found = kp[np.isfinite(kp[:, 0])]
        box = np.concatenate([found.min(axis=0), found.max(axis=0)])
        people.append(Person(kp, conf, float(np.clip(score / n_terms, 0.0, 1.0)), box))
    people.sort(key=lambda p: -p.score)
    return people
