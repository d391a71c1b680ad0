"""The left/right decision (posearena_stereo.leftright) against a straightforward formulation.

The module computes its medians, gate, hypotheses, bone differences and transition costs with
as few passes and copies as it can; the reference below computes the same quantities the
plain way (np.median, fancy-index copies, one einsum per difference, per-bone loops). Both
must give the same decisions and the same Viterbi inputs bit for bit, on real BlazePose 2D
and on real motion with injected flips, and the pieces must agree on random data that probes
their edge cases (ties, NaN, large arrays, joint counts on either side of numpy's blocked sum).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import posearena_stereo.leftright_paths as lp
import posearena_stereo.leftright_transitions as lt
from posearena.calibration import load_calibration
from posearena.skeletons import get_skeleton
from posearena.viterbi import viterbi
from posearena_stereo.leftright import (
    LeftRightCosts,
    Unswapped,
    _runs_with_anchors,
    _unswapped,
    mirrored_bones,
    resolve_left_right,
    swap_states,
)
from posearena_stereo.robust import ViewSet, apply_swaps

ROOT = Path(__file__).resolve().parents[2]
SK = get_skeleton("blazepose33")


# ---- the reference: every quantity computed the plain way ------------------------------

def ref_lengths(d):
    return np.sqrt(np.einsum("...i,...i->...", d, d))


def ref_truncated(values, scale, cap, missing):
    return np.where(np.isfinite(values), np.minimum(values / scale, cap), missing)


def ref_scale(values, floor):
    finite = values[np.isfinite(values)]
    return max(float(np.median(finite)) if finite.size else floor, floor)


def ref_bone_differences(views, w, T, J, X, bones, left, right, plain):
    K = X.shape[1]
    slot = {int(j): i for i, j in enumerate(np.concatenate([left, right]))}
    # the central parents are plain triangulation, not what the module optimises: shared
    central, fixed = lp.central_parents(views, w, T, J, bones, slot, plain)

    def point(j):
        if j in slot:
            return X[:, :, slot[j]]
        return np.broadcast_to(fixed[:, None, central.index(j)], (T, K, 3))

    return np.stack([np.abs(ref_lengths(point(a) - point(b)) - ref_lengths(point(c) - point(d)))
                     for a, b, c, d in bones]).reshape(len(bones), T, K)


def ref_hypotheses(views, w, T, J, left, right, states):
    C = w.shape[0]
    xn, ww = views.xn.reshape(C, T, J, 2), w.reshape(C, T, J)
    joints, mirrored = np.concatenate([left, right]), np.concatenate([right, left])
    P2 = joints.size
    flip = np.roll(np.arange(P2), P2 // 2)
    K = states.shape[0]
    X, err = np.empty((T, K, P2, 3), np.float32), np.empty((T, K, P2), np.float32)
    step = max(1, lp._BLOCK_POINTS // P2)
    for k in range(0, K, 2):
        src = np.where(states[k][:, None], mirrored[None], joints[None])
        obs = np.stack([xn[c][:, src[c]] for c in range(C)])
        wts = np.stack([ww[c][:, src[c]] for c in range(C)])
        for t0 in range(0, T, step):
            t1 = min(T, t0 + step)
            Xb, eb = views.solve(wts[:, t0:t1].reshape(C, -1), xn=obs[:, t0:t1].reshape(C, -1, 2))
            X[t0:t1, k], err[t0:t1, k] = Xb.reshape(-1, P2, 3), eb.reshape(-1, P2)
        X[:, k + 1], err[:, k + 1] = X[:, k][:, flip], err[:, k][:, flip]
    return X, err


def ref_jumps(Xc, scale, cap, appear):
    """(B, T-1, M, M) from candidates Xc (B, T, M, G, 3)."""
    d = Xc[:, :-1, :, None] - Xc[:, 1:, None]
    seen = np.isfinite(Xc[..., 0])
    once = seen[:, :-1, :, None] != seen[:, 1:, None]
    out = np.zeros((Xc.shape[0], Xc.shape[1] - 1) + (Xc.shape[2],) * 2)
    out[...] = np.where(once, appear, ref_truncated(ref_lengths(d), scale, cap, 0.0)).sum(-1)
    return out


def ref_best_path(unary, Xg, scale, candidates, cap, appear, fixed, record):
    M = min(candidates, unary.shape[2])
    cand = np.argsort(unary, axis=2, kind="stable")[:, :, :M]
    Xc = np.take_along_axis(Xg, cand[..., None, None], axis=2)
    uc = np.take_along_axis(unary, cand, axis=2)
    B, T = uc.shape[:2]
    path = np.zeros((B, T), np.intp)
    for frames, real in lt.stretches(np.zeros(T, bool) if fixed is None else fixed):
        S, L = frames.shape
        u = np.where(real[None, :, :, None], uc[:, frames], 0.0).reshape(B * S, L, M)
        pair = ref_jumps(Xc[:, frames].reshape(B * S, L, *Xc.shape[2:]), scale, cap, appear)
        pair.reshape(B, S, L - 1, M, M)[...] *= real[None, :, 1:, None, None]
        record.append((u, pair))
        path[:, frames[real]] = viterbi(u, pair).reshape(B, S, L)[:, real]
    return np.take_along_axis(cand, path[..., None], axis=2)[..., 0]


def ref_decide(views, w, T, J, left, right, parents, states, scales, fixed, cfg, plain, record):
    P, K = left.size, states.shape[0]
    X, err = ref_hypotheses(views, w, T, J, left, right, states)
    data = ref_truncated(err, scales.px, cfg.cap, cfg.cap)
    unary = (data[..., :P] + data[..., P:]).transpose(2, 0, 1).astype(np.float64)
    unary = unary + cfg.prior * states.sum(axis=1)
    if parents is not None:
        bones = mirrored_bones(parents, left, right)
        cost = ref_truncated(ref_bone_differences(views, w, T, J, X, bones, left, right, plain),
                            scales.bone_m, cfg.cap, 0.0)
        sym = np.zeros((P, T, K))
        slot = {int(j): i for i, j in enumerate(left)}
        for m, lc in enumerate(bones[:, 0]):
            sym[slot[int(lc)]] += cost[m]
        unary += cfg.symmetry * sym
    unary += lp._FIXED * (fixed[:, None] & (np.arange(K) > 0)[None])
    args = (scales.motion_m, cfg.candidates, cfg.cap, cfg.appear, fixed, record)
    body = ref_best_path(unary.sum(axis=0)[None], X[None], *args)[0]
    if not np.isfinite(cfg.deviation):
        return np.broadcast_to(body, (P, T))
    leave = cfg.deviation * (np.arange(K)[None] != body[:, None])
    return ref_best_path(unary + leave[None], X.reshape(T, K, 2, P, 3).transpose(3, 0, 1, 2, 4),
                         *args)


def ref_resolve(views, w, J, left, right, parents, cfg, unswapped, record):
    C, T = w.shape[0], w.shape[1] // J
    left, right = np.asarray(left), np.asarray(right)
    joints = np.concatenate([left, right])
    if unswapped is None:
        X0, err0, worst0 = _unswapped(views, w, T, J, joints)
    else:
        X0, err0, worst0 = (np.take(a, joints, axis=1) for a in (
            unswapped.X, unswapped.mean, unswapped.worst))
    bones = mirrored_bones(parents, left, right) if parents is not None else np.empty((0, 4))
    plain = None if unswapped is None else unswapped.X
    asym = (ref_bone_differences(views, w, T, J, X0[:, None], bones, left, right, plain)[:, :, 0]
            if bones.size else np.empty((0, T)))
    step = ref_lengths(X0[1:] - X0[:-1])
    scales = lp.Scales(ref_scale(err0, cfg.min_px), ref_scale(step, cfg.min_motion_m),
                       ref_scale(asym, cfg.min_bone_m))
    seen = (np.take(w.reshape(C, T, J), joints, axis=2) > 0).any(axis=0)
    ok = np.isfinite(X0[..., 0])
    bad = (~(worst0 <= cfg.gate * scales.px) & ok).any(axis=1) | (seen & ~ok).any(axis=1)
    edge = ((step > cfg.gate_motion * scales.motion_m).any(axis=1)
            | (ok[1:] != ok[:-1]).any(axis=1))
    bad[1:] |= edge
    bad[:-1] |= edge
    if cfg.gate <= 0:
        bad[:] = True
    elif bad.any():
        bad = np.convolve(bad.astype(int), np.ones(2 * cfg.gate_pad + 1, int), "same") > 0
    frames, fixed = _runs_with_anchors(bad)
    swapped = np.zeros((C, T, J), bool)
    if frames.size == 0:
        return swapped
    sub = ViewSet(views.xn.reshape(C, T, J, 2)[:, frames].reshape(C, -1, 2), views.extrinsics,
                  views.fxy, views.passes)
    states = swap_states(C, cfg.max_swapped)
    chosen = ref_decide(sub, w.reshape(C, T, J)[:, frames].reshape(C, -1), frames.size, J,
                        left, right, parents if bones.size else None, states, scales, fixed, cfg,
                        None if plain is None else plain[frames], record)
    flips = states[chosen].transpose(2, 1, 0)
    swapped[:, frames[:, None], left[None]] = flips
    swapped[:, frames[:, None], right[None]] = flips
    return swapped


# ---- real data -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def blazepose():
    """Real BlazePose 2D of the 4 Pose2Sim demo cameras (cam02 flips in ~30% of the frames):
    ViewSets and weights (2 and 4 views), and real motion with injected flips (1200 frames:
    the 4-view solution's motion repeated, projected into cam01 + cam02 with 1 px noise; two
    joints seen by one view only for a while)."""
    d = np.load(ROOT / "tests" / "data" / "pose2sim_blazepose33_2d.npz")
    calib = load_calibration(ROOT / "data" / "pose2sim_demo" / "Calib.qca.txt")
    cams = [calib[str(n)] for n in d["camera_names"]]
    kp, vis = d["keypoints"].astype(np.float64), d["visibility"].astype(np.float64)

    def views(kp, vis, cams):
        C = kp.shape[0]
        xn = np.stack([cam.normalize_points(kp[c].reshape(-1, 2)) for c, cam in enumerate(cams)])
        w = vis.reshape(C, -1)
        w = np.where(np.isfinite(w) & (w >= 0.3) & np.isfinite(xn).all(-1), w, 0.0)
        return ViewSet(xn, np.stack([c.extrinsic_matrix for c in cams]),
                       np.array([[c.K[0, 0], c.K[1, 1]] for c in cams])), w

    real = {n: views(kp[:n], vis[:n], cams[:n]) for n in (2, 4)}
    vs, w = real[4]
    T, J = kp.shape[1:3]
    X = _unswapped(vs, w, T, J, np.arange(J))[0]
    X = np.concatenate([X, X[::-1]] * 6)  # 1200 frames of real motion
    rng = np.random.default_rng(7)
    obs = np.stack([cams[c].project(X) for c in (0, 1)]) + rng.normal(0.0, 1.0, (2, len(X), J, 2))
    flips = np.zeros(obs.shape[:3], bool)
    for _ in range(40):
        c, t0, n = rng.integers(0, 2), rng.integers(0, len(X) - 30), rng.integers(1, 30)
        p = rng.integers(0, len(SK.left))
        flips[c, t0:t0 + n, [SK.left[p], SK.right[p]] if n % 2 else slice(None)] = True
    flipped = apply_swaps(obs, flips, SK.left, SK.right)
    seen = np.isfinite(flipped[..., 0]).astype(float)
    seen[1, 300:340, SK.joints.index("left_wrist")] = 0.0  # seen by one view for a while
    seen[0, 700:760, SK.joints.index("right_knee")] = 0.0
    real["flipped"] = views(flipped, seen, cams[:2])
    return real


@pytest.mark.parametrize("case, given, cfg", [
    (2, True, LeftRightCosts()), (4, True, LeftRightCosts()), (2, False, LeftRightCosts()),
    ("flipped", True, LeftRightCosts()), ("flipped", False, LeftRightCosts(gate=0)),
    ("flipped", True, LeftRightCosts(deviation=np.inf, max_swapped=1, candidates=3)),
    ("flipped", True, None),  # None: no bone symmetry
])
def test_same_decisions_and_costs_as_the_reference(blazepose, monkeypatch, case, given, cfg):
    vs, w = blazepose[case]
    J = len(SK.joints)
    T = w.shape[1] // J
    plain = Unswapped(*_unswapped(vs, w, T, J, np.arange(J))) if given else None
    parents = None if cfg is None else SK.parents
    cfg = cfg or LeftRightCosts()
    seen, ref = [], []
    monkeypatch.setattr(lt, "viterbi", lambda u, p: seen.append((u, p.copy())) or viterbi(u, p))
    got = resolve_left_right(vs, w, J, SK.left, SK.right, parents, cfg, plain)
    want = ref_resolve(vs, w, J, SK.left, SK.right, parents, cfg, plain, ref)
    assert want.any() and np.array_equal(got, want)
    assert len(seen) == len(ref) > 0
    for (u, p), (ur, pr) in zip(seen, ref, strict=True):
        assert np.array_equal(u, ur) and np.array_equal(p, pr)
        assert np.array_equal(np.signbit(p), np.signbit(pr))


# ---- the pieces on random data ---------------------------------------------------------

def test_median_is_numpys():
    rng = np.random.default_rng(1)
    for n in [*range(1, 12), 32767, 32768, 32769, 32770, 100_000, 100_001]:
        for dtype in (np.float32, np.float64):
            for kind in ("spread", "ties", "sorted", "constant"):
                v = {"spread": rng.lognormal(0.0, 2.0, n), "ties": rng.integers(0, 4, n),
                     "sorted": np.sort(rng.uniform(0, 1, n)), "constant": np.full(n, 0.5)}[kind]
                v = v.astype(dtype)
                v[rng.random(n) < 0.05] = np.nan
                v[rng.random(n) < 0.01] = np.inf
                for floor in (0.0, 0.5, 3.0):
                    assert lp.robust_scale(v, floor) == ref_scale(v, floor), (n, dtype, kind)
    assert lp.robust_scale(np.full(5, np.nan), 0.25) == 0.25


def test_median_brackets_that_miss(monkeypatch):
    """With a 16-value sample the brackets often miss the middle or catch only one of the two
    middle values: the median stays numpy's (the bracketed and the fallback selections)."""
    monkeypatch.setattr(lp, "_SAMPLE", 16)
    rng = np.random.default_rng(2)
    for _ in range(3000):
        n = int(rng.integers(257, 400))
        v = rng.integers(0, int(rng.integers(2, 1000)), n).astype(float)
        assert lp.robust_scale(v, -1.0) == ref_scale(v, -1.0)


@pytest.mark.parametrize("G", [1, 2, 3, 7, 8, 9, 16, 32, 33])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jumps_are_the_reference_sums(G, dtype):
    """Coordinate-major jumps (runs innermost) = the candidate-major reference, bit for bit
    (joint counts either side of numpy's 8-way blocked sum)."""
    rng = np.random.default_rng(G)
    B, T, M = 5, 40, 4
    Xc = rng.normal(0.0, 0.03, (B, T, M, G, 3)).cumsum(axis=1).astype(dtype)
    Xc[rng.random((B, T, M, G)) < 0.1] = np.nan
    Y = np.ascontiguousarray(Xc.transpose(4, 1, 2, 0, 3))  # (3, T, M, B, G)
    for scale, cap, appear in ((0.005, 8.0, 4.0), (0.02, 3.0, 0.5)):
        got, want = lt.jumps(Y, scale, cap, appear), ref_jumps(Xc, scale, cap, appear)
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_bone_differences_are_the_reference(blazepose):
    """Vectorised bone differences (paired and central parents) and the whole-sequence
    asymmetry = the per-bone reference, with the plain solution given or triangulated."""
    vs, w = blazepose[2]
    J = len(SK.joints)
    T = w.shape[1] // J
    left, right = np.array(SK.left), np.array(SK.right)
    bones = mirrored_bones(SK.parents, left, right)
    plain = _unswapped(vs, w, T, J, np.arange(J))[0]
    X = lp.hypotheses(vs, w, T, J, left, right, swap_states(2, 2))[0]
    for p in (plain, None):
        got = lp.bone_differences(vs, w, T, J, X, bones, left, right, p)
        want = ref_bone_differences(vs, w, T, J, X, bones, left, right, p)
        assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True)
    X0 = np.take(plain, np.concatenate([left, right]), axis=1)[:, None]
    want = ref_bone_differences(vs, w, T, J, X0, bones, left, right, plain)[:, :, 0]
    assert np.array_equal(lp.bone_asymmetry(plain, bones).T, want, equal_nan=True)
