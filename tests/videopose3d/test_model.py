"""TemporalModel / TemporalModelOptimized1f: parameter layout of the original, semantics."""

from __future__ import annotations

import pytest
import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.model import TemporalModel, TemporalModelOptimized1f

# Keys and shapes that facebookresearch/VideoPose3D common/model.py defines for
# TemporalModel(17, 2, 17, filter_widths=[3, 3, 5], channels=32), in state_dict() order.
BN = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
EXPECTED = (
    [(f"expand_bn.{n}", (32,) if n != "num_batches_tracked" else ()) for n in BN]
    + [("shrink.weight", (51, 32, 1)), ("shrink.bias", (51,)),
       ("expand_conv.weight", (32, 34, 3)),
       ("layers_conv.0.weight", (32, 32, 3)), ("layers_conv.1.weight", (32, 32, 1)),
       ("layers_conv.2.weight", (32, 32, 5)), ("layers_conv.3.weight", (32, 32, 1))]
    + [(f"layers_bn.{i}.{n}", (32,) if n != "num_batches_tracked" else ())
       for i in range(4) for n in BN]
)


@pytest.mark.parametrize("cls", [TemporalModel, TemporalModelOptimized1f])
def test_state_dict_keys_and_shapes_match_original(cls: type) -> None:
    model = cls(17, 2, 17, [3, 3, 5], channels=32)
    got = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    assert got == EXPECTED
    assert model.receptive_field() == 45
    assert model.pad == [1, 3, 18]


def test_dilations_and_dense_kernels() -> None:
    m = TemporalModel(17, 2, 17, [3, 3, 3], channels=8)
    assert [c.dilation[0] for c in m.layers_conv] == [3, 1, 9, 1]
    d = TemporalModel(17, 2, 17, [3, 3, 3], channels=8, dense=True)
    assert [c.kernel_size[0] for c in d.layers_conv] == [7, 1, 19, 1]
    assert [c.dilation[0] for c in d.layers_conv] == [1, 1, 1, 1]


def test_output_length_and_shape(make_model) -> None:
    m = make_model([3, 3, 3])
    with torch.no_grad():
        y = m(torch.randn(2, 40, 17, 2))
    assert y.shape == (2, 40 - 27 + 1, 17, 3)


@pytest.mark.parametrize("causal", [False, True])
def test_optimized1f_equals_reference_on_strided_windows(make_model, causal: bool) -> None:
    ref = make_model([3, 3, 3], channels=48, causal=causal)
    opt = TemporalModelOptimized1f(17, 2, 17, [3, 3, 3], causal=causal, channels=48)
    opt.load_state_dict(ref.state_dict())
    opt.eval()
    seq = torch.randn(1, 60, 17, 2)
    rf = ref.receptive_field()
    windows = torch.stack([seq[0, t: t + rf] for t in range(60 - rf + 1)])
    with torch.no_grad():
        full = ref(seq)[0]
        per_frame = opt(windows)[:, 0]
    assert per_frame.shape == full.shape
    torch.testing.assert_close(per_frame, full, rtol=0, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_causal_and_symmetric_receptive_windows(make_model, causal: bool) -> None:
    """Output frame i depends exactly on input window i .. i + RF - 1; the residual crops
    follow the same window (a wrong crop changes outputs when a frame inside it moves)."""
    m = make_model([3, 3], channels=32, causal=causal)
    rf = m.receptive_field()
    x = torch.randn(1, 30, 17, 2)
    with torch.no_grad():
        base = m(x)[0]
        for t in (0, 8, 12, 29):
            x2 = x.clone()
            x2[0, t] += 1.0
            changed = (m(x2)[0] - base).abs().amax(dim=(1, 2)) > 0
            expect = torch.tensor([i <= t < i + rf for i in range(base.shape[0])])
            assert torch.equal(changed, expect)


@pytest.mark.parametrize(("causal", "frames"), [(False, [3, 4, 5]), (True, [6, 7, 8])])
def test_residual_crop_follows_causal_shift(make_model, causal: bool, frames: list[int]) -> None:
    """With the block's convolutions zeroed only the residual path carries the input: output
    frame 0 then sees the expand_conv output at the centre of its window (symmetric) or at
    its end (causal), i.e. input frames 3..5 or 6..8 of the 9-frame window."""
    m = make_model([3, 3], channels=16, causal=causal)
    with torch.no_grad():
        for conv in m.layers_conv:
            conv.weight.zero_()
        x = torch.randn(1, 9, 17, 2)
        base = m(x)[0, 0]
        for t in range(9):
            x2 = x.clone()
            x2[0, t] += 1.0
            assert bool((m(x2)[0, 0] - base).abs().max() > 0) == (t in frames), t


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidInputError, match="filter_widths"):
        TemporalModel(17, 2, 17, [3, 4])
    with pytest.raises(InvalidInputError, match="channels"):
        TemporalModel(17, 2, 17, [3], channels=0)
    m = TemporalModel(17, 2, 17, [3], channels=8).eval()
    with pytest.raises(InvalidInputError, match=r"x.shape"):
        m(torch.zeros(1, 5, 16, 2))
