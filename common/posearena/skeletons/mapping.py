"""Joint correspondences between skeletons and array conversion through them.

`mapping(src, dst)` says, for every joint of `dst`, how to obtain it from a `src` array:
"exact" (one source joint, the same canonical landmark), "derived" (a weighted mean of source
joints, e.g. COCO hips -> Human3.6M pelvis) or "missing" (no counterpart: NaN position, zero
confidence). `convert` and `convert_confidence` apply it to arrays of any leading shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from posearena.errors import InvalidInputError
from posearena.skeletons.canonical import CANONICAL_JOINTS
from posearena.skeletons.registry import get_skeleton, get_table
from posearena.skeletons.skeleton import Skeleton

KINDS: tuple[str, ...] = ("exact", "derived", "missing")


@dataclass(frozen=True)
class MappedJoint:
    """How one target joint is obtained from the source skeleton.

    Attributes:
        target: the target (dst) joint name.
        canonical: its canonical anatomical name.
        kind: "exact" | "derived" | "missing".
        sources: source joint indices (one for exact, several for derived, none for missing).
        weights: weight of each source (sum 1); the target is the weighted mean of the sources.
        note: how it is obtained and any anatomical caveat (empty for a plain exact match).
    """

    target: str
    canonical: str
    kind: str
    sources: tuple[int, ...]
    weights: tuple[float, ...]
    note: str


@dataclass(frozen=True)
class JointMapping:
    """Per-target-joint correspondence from skeleton `src` to skeleton `dst`.

    Attributes:
        src: source skeleton name.
        dst: target skeleton name.
        joints: (J_dst,) `MappedJoint`, in the target's joint order.
    """

    src: str
    dst: str
    joints: tuple[MappedJoint, ...]

    def __len__(self) -> int:
        return len(self.joints)

    def __getitem__(self, key: int | str) -> MappedJoint:
        """The entry of a target joint, by index or by target joint name."""
        if isinstance(key, str):
            return self.joints[get_skeleton(self.dst).index(key)]
        return self.joints[key]

    @property
    def kinds(self) -> tuple[str, ...]:
        """(J_dst,) kind of each target joint."""
        return tuple(m.kind for m in self.joints)

    @property
    def available(self) -> np.ndarray:
        """(J_dst,) bool: True where the target joint is exact or derived."""
        return np.array([m.kind != "missing" for m in self.joints], dtype=bool)

    def exact_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Index pairs of the exact correspondences.

        Returns:
            (src_idx, dst_idx), two (K,) int64 arrays: dst joint dst_idx[k] is src joint src_idx[k].
        """
        pairs = [(m.sources[0], j) for j, m in enumerate(self.joints) if m.kind == "exact"]
        arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return arr[:, 0], arr[:, 1]

    def gather_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Padded index/weight tables for vectorised conversion.

        Rows with fewer than K sources repeat their first source with weight 0 (so a NaN there
        only shows up when that real source is NaN anyway); missing rows point at joint 0.

        Returns:
            idx (J_dst, K) int64 source indices, w (J_dst, K) float64 weights, and
            available (J_dst,) bool.
        """
        K = max([len(m.sources) for m in self.joints] + [1])
        idx = np.zeros((len(self.joints), K), dtype=np.int64)
        w = np.zeros((len(self.joints), K), dtype=np.float64)
        for j, m in enumerate(self.joints):
            if m.sources:
                idx[j, :] = m.sources[0]
                idx[j, : len(m.sources)] = m.sources
                w[j, : len(m.weights)] = m.weights
        return idx, w, self.available

    def summary(self) -> str:
        """One line per target joint: "target <- kind sources (note)"."""
        src_joints = get_skeleton(self.src).joints
        lines = [f"{self.src} -> {self.dst}"]
        for m in self.joints:
            srcs = ", ".join(
                f"{w:.3g}*{src_joints[s]}" for s, w in zip(m.sources, m.weights, strict=True)
            )
            lines.append(f"  {m.target} <- {m.kind} {srcs}" + (f"  ({m.note})" if m.note else ""))
        return "\n".join(lines)


def _join_notes(*notes: str | None) -> str:
    out: list[str] = []
    for n in notes:
        if n and n not in out:
            out.append(n)
    return "; ".join(out)


@cache
def _mapping(src: str, dst: str) -> JointMapping:
    s_tab, d_tab = get_table(src), get_table(dst)
    s_joints = s_tab.joints
    s_index = {c: i for i, c in enumerate(s_tab.canonical)}
    entries: list[MappedJoint] = []
    for target, c in zip(d_tab.joints, d_tab.canonical, strict=True):
        src_note = s_tab.notes.get(c)
        dst_note = d_tab.notes.get(c) if src != dst else None
        if c in s_index:
            note = "" if src == dst else _join_notes(src_note, dst_note)
            entries.append(MappedJoint(target, c, "exact", (s_index[c],), (1.0,), note))
        elif c in s_tab.derived:
            terms = s_tab.derived[c]
            how = f"{src} has no {c}: " + " + ".join(f"{w:.3g}*{n}" for n, w in terms)
            sources = tuple(s_joints.index(n) for n, _ in terms)
            weights = tuple(float(w) for _, w in terms)
            note = _join_notes(how, src_note, dst_note)
            entries.append(MappedJoint(target, c, "derived", sources, weights, note))
        else:
            note = f"{src} has no {c} ({CANONICAL_JOINTS[c]})"
            entries.append(MappedJoint(target, c, "missing", (), (), note))
    return JointMapping(src, dst, tuple(entries))


def mapping(src: str | Skeleton, dst: str | Skeleton) -> JointMapping:
    """Correspondence of every `dst` joint to `src` joints (exact, derived or missing).

    Args:
        src: source skeleton name (one of SKELETON_NAMES) or registry `Skeleton`.
        dst: target skeleton name or registry `Skeleton`.

    Returns:
        the `JointMapping` (cached; identity when src == dst).

    Raises:
        InvalidInputError: unknown skeleton name.
    """
    return _mapping(get_skeleton(src).name, get_skeleton(dst).name)


def _check_joint_axis(arr: np.ndarray, field: str, axis: int, skel: Skeleton, shape: str) -> None:
    if arr.ndim < -axis or arr.shape[axis] != skel.num_joints:
        raise InvalidInputError(
            field, arr.shape, f"shape {shape} with J = {skel.num_joints} joints of {skel.name}"
        )
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise InvalidInputError(f"{field}.dtype", str(arr.dtype), "an integer or float array")


def convert(arr: np.ndarray, src: str | Skeleton, dst: str | Skeleton) -> np.ndarray:
    """Re-express joint coordinates of skeleton `src` in skeleton `dst`.

    Exact joints are copied, derived joints are the weighted mean of their sources (NaN if any
    source is NaN), missing joints are NaN. Units are unchanged (px, m or mm as given).

    Args:
        arr: (..., J_src, C) joint coordinates, e.g. (T, J, 2) px or (T, P, J, 3) m; NaN = missing.
        src: source skeleton name or registry `Skeleton`.
        dst: target skeleton name or registry `Skeleton`.

    Returns:
        (..., J_dst, C) array, same float dtype as `arr` (float64 for integer input).

    Raises:
        InvalidInputError: unknown skeleton, wrong joint count (the message names the
            expected J), fewer than 2 dimensions, or a non-numeric array.
    """
    s, d = get_skeleton(src), get_skeleton(dst)
    a = np.asarray(arr)
    _check_joint_axis(a, "arr", -2, s, "(..., J, C)")
    dtype = a.dtype if np.issubdtype(a.dtype, np.floating) else np.dtype(np.float64)
    idx, w, avail = mapping(s, d).gather_tables()
    if (idx.shape == (a.shape[-2], 1) and avail.all() and (w == 1.0).all()
            and (idx[:, 0] == np.arange(len(idx))).all()):
        # the same joints in the same order: the weighted sum below is 0 + x * 1 per value,
        # i.e. x with -0.0 made +0.0; one add gives exactly that without its gather/einsum
        # copies (30 ms for 4 views of 40,000 frames)
        return np.add(a, dtype.type(0.0), dtype=dtype)
    gathered = a[..., idx, :].astype(dtype, copy=False)  # (..., J_dst, K, C)
    out = np.einsum("...jkc,jk->...jc", gathered, w.astype(dtype))
    out[..., ~avail, :] = np.nan
    return out


def convert_confidence(conf: np.ndarray, src: str | Skeleton, dst: str | Skeleton) -> np.ndarray:
    """Re-express per-joint confidences of skeleton `src` in skeleton `dst`.

    Exact joints are copied, a derived joint gets the minimum of its sources' confidences
    (NaN if any is NaN), a missing joint gets 0.

    Args:
        conf: (..., J_src) confidences in [0, 1], e.g. (T, J) or (T, P, J).
        src: source skeleton name or registry `Skeleton`.
        dst: target skeleton name or registry `Skeleton`.

    Returns:
        (..., J_dst) array, same float dtype as `conf` (float64 for integer input).

    Raises:
        InvalidInputError: unknown skeleton, wrong joint count, 0-d or non-numeric input.
    """
    s, d = get_skeleton(src), get_skeleton(dst)
    c = np.asarray(conf)
    _check_joint_axis(c, "conf", -1, s, "(..., J)")
    dtype = c.dtype if np.issubdtype(c.dtype, np.floating) else np.dtype(np.float64)
    idx, _, avail = mapping(s, d).gather_tables()
    out = c[..., idx].astype(dtype, copy=False).min(axis=-1)  # (..., J_dst)
    out[..., ~avail] = 0.0
    return out


def common_joints(a: str | Skeleton, b: str | Skeleton) -> tuple[tuple[str, str], ...]:
    """Joint-name pairs of two skeletons that denote the same canonical landmark.

    Only exact correspondences count (derived estimates are left out); see `mapping(a, b)`
    notes for anatomical caveats (e.g. Kinect vs COCO hips).

    Args:
        a: first skeleton name or registry `Skeleton`.
        b: second skeleton name or registry `Skeleton`.

    Returns:
        ((joint of a, joint of b), ...) in the joint order of `a`.
    """
    src_idx, dst_idx = mapping(b, a).exact_pairs()
    ja, jb = get_skeleton(a).joints, get_skeleton(b).joints
    return tuple((ja[i], jb[k]) for k, i in zip(src_idx, dst_idx, strict=True))


def common_joint_indices(a: str | Skeleton, b: str | Skeleton) -> tuple[np.ndarray, np.ndarray]:
    """Index form of `common_joints`.

    Args:
        a: first skeleton name or registry `Skeleton`.
        b: second skeleton name or registry `Skeleton`.

    Returns:
        (idx_a, idx_b): two (K,) int64 arrays; joint idx_a[k] of `a` matches idx_b[k] of `b`.
    """
    src_idx, dst_idx = mapping(b, a).exact_pairs()
    return dst_idx, src_idx
