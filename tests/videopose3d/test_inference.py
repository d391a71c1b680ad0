"""In-the-wild lifting: preprocessing as the original, fast path == plain path, TTA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F  # noqa: N812

from posearena.errors import InvalidInputError
from posearena_videopose3d import fast
from posearena_videopose3d.inference import (
    COCO_LEFT,
    COCO_RIGHT,
    H36M_LEFT,
    H36M_RIGHT,
    Lifter,
    fill_missing,
    lift,
    normalize_screen,
    pad_edges,
    predict_reference,
)

W, H = 1920, 1080


def keypoints(frames: int, seed: int = 0) -> np.ndarray:
    """(T, 17, 2) px: a random pose drifting smoothly inside a 1920x1080 image."""
    rng = np.random.default_rng(seed)
    base = rng.uniform([800, 300], [1100, 800], size=(17, 2))
    return base + np.cumsum(rng.normal(0, 3.0, size=(frames, 17, 2)), axis=0)


def test_normalize_screen_formula() -> None:
    kp = np.array([[0.0, 0.0], [1920.0, 1080.0], [960.0, 540.0]])
    out = normalize_screen(kp, W, H)
    np.testing.assert_allclose(out, [[-1, -H / W], [1, H / W], [0, 0]], atol=1e-12)
    with pytest.raises(InvalidInputError, match="width"):
        normalize_screen(kp, 0, H)


def test_pad_edges_symmetric_and_causal() -> None:
    x = np.arange(5, dtype=float).reshape(5, 1, 1)
    sym = pad_edges(x, 7, causal=False)[:, 0, 0]
    cau = pad_edges(x, 7, causal=True)[:, 0, 0]
    np.testing.assert_array_equal(sym, [0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4])
    np.testing.assert_array_equal(cau, [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])


def test_fill_missing_interpolates_and_flags() -> None:
    kp = keypoints(6)
    kp[2, 3] = np.nan  # one joint, inside: linear between frames 1 and 3
    kp[0, 5, 0] = np.nan  # x only, at the start: held from frame 1
    kp[4:, 7] = np.nan  # at the end: held from frame 3
    src = keypoints(6)
    filled, flags = fill_missing(kp)
    np.testing.assert_allclose(filled[2, 3], (src[1, 3] + src[3, 3]) / 2)
    np.testing.assert_allclose(filled[0, 5], src[1, 5])
    np.testing.assert_allclose(filled[5, 7], src[3, 7])
    np.testing.assert_array_equal(flags, [True, False, True, False, True, True])
    with pytest.raises(InvalidInputError, match="all NaN"):
        fill_missing(np.full((4, 17, 2), np.nan))
    kp2 = keypoints(4)
    kp2[:, 9] = np.nan
    with pytest.raises(InvalidInputError, match=r"joints \[9\]"):
        fill_missing(kp2)


@pytest.mark.parametrize("tile", [2, 4])
@pytest.mark.parametrize("dilation", [1, 3, 7])
def test_winograd_conv_equals_conv1d(tile: int, dilation: int) -> None:
    torch.manual_seed(tile + dilation)
    w, b = torch.randn(24, 16, 3, dtype=torch.float64), torch.randn(24, dtype=torch.float64)
    conv = fast._WinogradConv3(w, b, dilation, tile)
    for t_in in (2 * dilation + 1, 50, 97):
        x = torch.randn(2, 16, t_in)
        ref = F.conv1d(x.double(), w, b, dilation=dilation)
        got = conv(x.transpose(1, 2).contiguous()).transpose(1, 2)  # (B, T, C) layout
        # float32 Winograd rounding: a few 1e-6 of the output scale (F(4,3) > F(2,3)).
        scale = float(ref.abs().max())
        torch.testing.assert_close(got.double(), ref, rtol=0, atol=4e-6 * scale)


@pytest.mark.parametrize("onednn", [False, True])
@pytest.mark.parametrize("relu", [False, True])
def test_linear_onednn_equals_addmm(onednn: bool, relu: bool) -> None:
    """Both GEMM back-ends compute x @ w.T + b (then ReLU) as float64 does, within rounding."""
    if onednn and not fast.ONEDNN_LINEAR:
        pytest.skip("this torch has no oneDNN linear")
    torch.manual_seed(int(relu))
    x, w, b = torch.randn(300, 96), torch.randn(40, 96), torch.randn(40)
    ref = x.double() @ w.double().T + b.double()
    ref = ref.clamp_min(0) if relu else ref
    got = fast.linear(x, w, b, relu=relu, onednn=onednn)
    assert got.shape == (300, 40) and got.dtype == torch.float32 and got.is_contiguous()
    torch.testing.assert_close(got.double(), ref, rtol=0, atol=1e-4)
    assert (got >= 0).all() if relu else (got < 0).any()
    no_bias = fast.linear(x, w, None, onednn=onednn).double()
    torch.testing.assert_close(no_bias, x.double() @ w.double().T, rtol=0, atol=1e-4)


@pytest.mark.parametrize("flip_tta", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_fast_path_equals_plain_path(make_model, flip_tta: bool, causal: bool) -> None:
    model = make_model([3, 3, 3], channels=64, causal=causal)
    kp = keypoints(120)
    plain = lift(kp, W, H, model, flip_tta=flip_tta, fast=False, zero_root=False).poses_3d
    for tile in (0, 2, 4):
        got = lift(kp, W, H, Lifter(model, tile=tile), flip_tta=flip_tta,
                   zero_root=False).poses_3d
        np.testing.assert_allclose(got, plain, rtol=0, atol=1e-5)


@pytest.mark.parametrize("onednn", [False, True])
def test_fast_model_gemm_backends_equal_plain(make_model, onednn: bool) -> None:
    """Either GEMM back-end, an expand layer wider than 3 and a width-1 layer included."""
    if onednn and not fast.ONEDNN_LINEAR:
        pytest.skip("this torch has no oneDNN linear")
    model = make_model([5, 3, 1], channels=32, seed=2)
    padded = pad_edges(normalize_screen(keypoints(60), W, H), model.receptive_field(), False)
    x = torch.from_numpy(padded.astype(np.float32))[None]
    with torch.no_grad():
        ref = model(x)
    got = fast.FastTemporalModel(model, tile=2, onednn=onednn)(x)
    assert got.shape == ref.shape == (1, 60, 17, 3)
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)


def test_plain_path_is_the_original_evaluation(make_model) -> None:
    """Batch of (sequence, mirrored sequence); un-mirror the second output and average."""
    model = make_model([3, 3], channels=32)
    norm = normalize_screen(keypoints(30), W, H)
    padded = pad_edges(norm, 9, causal=False)
    x = torch.from_numpy(padded.astype(np.float32))
    xf = x.clone()
    xf[:, :, 0] *= -1
    xf[:, COCO_LEFT + COCO_RIGHT] = xf[:, COCO_RIGHT + COCO_LEFT]
    with torch.no_grad():
        y = model(torch.stack([x, xf]))
    y[1, :, :, 0] *= -1
    y[1, :, H36M_LEFT + H36M_RIGHT] = y[1, :, H36M_RIGHT + H36M_LEFT]
    expected = y.mean(dim=0).numpy()
    np.testing.assert_array_equal(predict_reference(model, padded, True), expected)


def test_chunked_equals_unchunked(make_model) -> None:
    model = make_model([3, 3, 3], channels=48)
    kp = keypoints(700)
    # chunk lengths round down to the Winograd alignment: lcm(tile * dilation) = 18 or 36
    for tile, frames in ((2, 90), (4, 72), (0, 100)):
        whole = Lifter(model, tile=tile, chunk_frames=10_000)
        chunked = Lifter(model, tile=tile, chunk_frames=100)
        assert chunked.chunk_frames == frames
        for tta in (False, True):
            a = lift(kp, W, H, whole, flip_tta=tta).poses_3d
            b = lift(kp, W, H, chunked, flip_tta=tta).poses_3d
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_flip_tta_equivariance(make_model) -> None:
    """Lifting the mirrored 2D gives the mirrored 3D (x negated, left/right swapped)."""
    model = make_model([3, 3, 3], channels=48, seed=4)
    kp = keypoints(50)
    mirrored = kp.copy()
    mirrored[..., 0] = W - mirrored[..., 0]  # normalised x -> -x
    mirrored[:, COCO_LEFT + COCO_RIGHT] = mirrored[:, COCO_RIGHT + COCO_LEFT]
    a = lift(kp, W, H, model).poses_3d
    b = lift(mirrored, W, H, model).poses_3d
    b[..., 0] *= -1
    b[:, H36M_LEFT + H36M_RIGHT] = b[:, H36M_RIGHT + H36M_LEFT]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    # Without TTA the random network is not mirror-symmetric: the check above is not vacuous.
    c = lift(mirrored, W, H, model, flip_tta=False).poses_3d
    c[..., 0] *= -1
    c[:, H36M_LEFT + H36M_RIGHT] = c[:, H36M_RIGHT + H36M_LEFT]
    assert np.abs(lift(kp, W, H, model, flip_tta=False).poses_3d - c).max() > 1e-3


def test_short_sequences_nan_frames_and_root(make_model) -> None:
    model = make_model([3, 3, 3], channels=32)
    for frames in (1, 5, 26):
        out = lift(keypoints(frames), W, H, model)
        assert out.poses_3d.shape == (frames, 17, 3) and out.poses_3d.dtype == np.float32
        assert np.isfinite(out.poses_3d).all()
        np.testing.assert_array_equal(out.poses_3d[:, 0], 0)
    kp = keypoints(40)
    kp[10:13] = np.nan
    out = lift(kp, W, H, model)
    assert np.flatnonzero(out.interpolated).tolist() == [10, 11, 12]
    assert np.isfinite(out.poses_3d).all()
    # The filled frames equal lifting the interpolated input directly.
    filled, _ = fill_missing(kp)
    np.testing.assert_array_equal(lift(filled, W, H, model).poses_3d, out.poses_3d)


def test_bad_inputs(make_model) -> None:
    model = make_model([3], channels=16)
    with pytest.raises(InvalidInputError, match=r"keypoints.shape"):
        lift(np.zeros((10, 18, 2)), W, H, model)
    with pytest.raises(InvalidInputError, match=r"keypoints.shape"):
        lift(np.zeros((0, 17, 2)), W, H, model)
    with pytest.raises(InvalidInputError, match="all NaN"):
        lift(np.full((10, 17, 2), np.nan), W, H, model)
    with pytest.raises(InvalidInputError, match="height"):
        lift(keypoints(10), W, -1, model)
