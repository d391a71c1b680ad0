"""Inference-only fast path of `TemporalModel`: BatchNorm folded into the convolutions, the
width-3 dilated convolutions computed with Winograd minimal filtering, batch and time in one
GEMM dimension.

Same function as the model in eval mode (differences are float32 rounding only, ~1e-6 of the
activations). Activations are kept as (B, T, C), channels last: a 1x1 convolution is then one
GEMM over all B*T frames, and a width-3 convolution with dilation d is a Winograd F(m, 3)
transform over tiles of m outputs spaced d apart (Lavin & Gray 2016, "Fast algorithms for
convolutional neural networks"): (m + 2) GEMMs per m outputs instead of 3m, i.e. 2x fewer
multiplies for m = 4 (1.5x for m = 2). The GEMMs are oneDNN's matmul (`linear`) where torch
has it, with the ReLU of 1x1 layers fused: on the 2-thread AMD EPYC it gives ~1.25x the
throughput of MKL's sgemm (`torch.mm`), which the original's convolutions (oneDNN) also beat.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F  # noqa: N812

from posearena.errors import InvalidInputError
from posearena_videopose3d.model import TemporalModel

# Winograd F(m, 3) for cross-correlation y[i] = sum_k g[k] x[i + k]: y = AT [(G g) * (BT x)].
# G builds the weights; _input_transform / _output_transform apply BT / AT with shared terms.
_BT = {
    2: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    4: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
}
_G = {
    2: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    4: [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
}
_AT = {
    2: [[1, 1, 1, 0], [0, 1, -1, -1]],
    4: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
}


def _fold(conv: torch.nn.Conv1d, bn: torch.nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """BN(conv(x)) = conv'(x) + b' with conv' = conv * gamma / sqrt(var + eps) per channel."""
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    w = conv.weight.double() * scale[:, None, None]
    b = bn.bias.double() - bn.running_mean.double() * scale
    if conv.bias is not None:
        b = b + conv.bias.double() * scale
    return w, b


def _onednn_linear_available() -> bool:
    """Whether this torch has oneDNN's fused linear (`torch.ops.mkldnn._linear_pointwise`)."""
    try:
        return bool(torch.backends.mkldnn.is_available()
                    and torch.ops.mkldnn._linear_pointwise.default is not None)
    except (AttributeError, RuntimeError):
        return False


ONEDNN_LINEAR = _onednn_linear_available()


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None,
           relu: bool = False, onednn: bool = ONEDNN_LINEAR) -> torch.Tensor:
    """x @ w.T + b, then ReLU when asked.

    Args:
        x: (N, C_in) float32, contiguous.
        w: (C_out, C_in) float32. b: (C_out,) or None.
        relu: apply ReLU (fused into the GEMM with oneDNN).
        onednn: oneDNN's matmul (default where available), else torch.addmm (MKL / BLAS).

    Returns:
        (N, C_out) float32, contiguous.
    """
    if onednn:
        return torch.ops.mkldnn._linear_pointwise(x, w, b, "relu" if relu else "none", [], "")
    y = torch.addmm(b, x, w.t()) if b is not None else torch.mm(x, w.t())
    return y.relu_() if relu else y


def _input_transform(x: list[torch.Tensor], m: int) -> list[torch.Tensor]:
    """BT @ (tile inputs), with shared subexpressions; x[j]: (B, nb, d, C) views."""
    if m == 2:
        return [x[0] - x[2], x[1] + x[2], x[2] - x[1], x[1] - x[3]]
    r0 = torch.add(x[4], x[2], alpha=-5).add_(x[0], alpha=4)
    t1 = torch.add(x[4], x[2], alpha=-4)
    t2 = torch.add(x[3], x[1], alpha=-4)
    r1 = t1 + t2
    r2 = t1.sub_(t2)
    t3 = x[4] - x[2]
    t4 = x[3] - x[1]
    r3 = torch.add(t3, t4, alpha=2)
    r4 = t3.add_(t4, alpha=-2)
    r5 = torch.add(x[5], x[3], alpha=-5).add_(x[1], alpha=4)
    return [r0, r1, r2, r3, r4, r5]


def _output_transform(mm: list[torch.Tensor], y: list[torch.Tensor], m: int) -> None:
    """y[i] = (AT @ mm)[i]; mm[r], y[i]: (B, nb, d, C) (y[i] views of the output)."""
    if m == 2:
        torch.add(mm[0], mm[1], out=y[0]).add_(mm[2])
        torch.sub(mm[1], mm[2], out=y[1]).sub_(mm[3])
        return
    s12 = mm[1] + mm[2]
    d12 = mm[1].sub_(mm[2])
    s34 = mm[3] + mm[4]
    d34 = mm[3].sub_(mm[4])
    torch.add(s12, s34, out=y[0]).add_(mm[0])
    torch.add(d12, d34, alpha=2, out=y[1])
    torch.add(s12, s34, alpha=4, out=y[2])
    torch.add(d12, d34, alpha=8, out=y[3]).add_(mm[5])


class _WinogradConv3:
    """Width-3 convolution with dilation d on (B, T, C) activations, bias added."""

    def __init__(self, w: torch.Tensor, b: torch.Tensor, dilation: int, tile: int,
                 onednn: bool = ONEDNN_LINEAR) -> None:
        g = torch.tensor(_G[tile], dtype=torch.float64)
        # U[r] = sum_k G[r, k] W[:, :, k]  -> (n, C_out, C_in)
        self.u = torch.einsum("rk,oik->roi", g, w).float().contiguous()
        # Row 1 of AT is 1 in every output, so the bias rides on that GEMM.
        self.b = b.float().contiguous()
        self.d = dilation
        self.m = tile
        self.onednn = onednn

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C_in) contiguous -> (B, T - 2d, C_out), with the bias added."""
        bsz, t_in, c = x.shape
        d, m = self.d, self.m
        t_out = t_in - 2 * d
        nb = -(-t_out // (m * d))
        need = (nb + 1) * m * d
        if need > t_in:
            x = F.pad(x, (0, 0, 0, need - t_in))
        xr = x[:, :need].view(bsz, nb + 1, m, d, c)
        # tile input j of tile k: frame k*m*d + j*d -> block k (j < m) or k + 1 (j >= m).
        parts = [xr[:, :-1, j] if j < m else xr[:, 1:, j - m] for j in range(m + 2)]
        mats = [linear(v.view(-1, c), self.u[r], self.b if r == 1 else None,
                       onednn=self.onednn).view(bsz, nb, d, -1)
                for r, v in enumerate(_input_transform(parts, m))]
        y = torch.empty(bsz, nb, m, d, self.u.shape[1], dtype=x.dtype)
        _output_transform(mats, [y[:, :, i] for i in range(m)], m)
        return y.view(bsz, nb * m * d, -1)[:, :t_out]


class _PlainConv:
    """Dilated convolution with folded weights on (B, T, C) activations, bias added."""

    def __init__(self, w: torch.Tensor, b: torch.Tensor, dilation: int) -> None:
        self.w, self.b, self.d = w.contiguous(), b, dilation

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C_in) -> (B, T - (k - 1) d, C_out)."""
        return F.conv1d(x.transpose(1, 2), self.w, self.b, dilation=self.d).transpose(1, 2)


class FastTemporalModel:
    """Eval-mode `TemporalModel` with BatchNorm folded and Winograd width-3 convolutions.

    Args:
        model: a `TemporalModel` (its weights and BN statistics are copied; dense=False).
        tile: Winograd outputs per tile for width-3 layers: 2, 4 (fewer multiplies, more
            memory passes), or 0 (plain dilated convolution with folded weights).
        onednn: GEMMs by oneDNN (default where torch has it) or torch.addmm, see `linear`.
    """

    def __init__(self, model: TemporalModel, tile: int = 2,
                 onednn: bool = ONEDNN_LINEAR) -> None:
        if not isinstance(model, TemporalModel) or model.dense:
            raise InvalidInputError("model", type(model).__name__, "a non-dense TemporalModel")
        if tile not in (0, 2, 4):
            raise InvalidInputError("tile", tile, "0, 2 or 4")
        self.num_joints_in = model.num_joints_in
        self.in_features = model.in_features
        self.num_joints_out = model.num_joints_out
        self.filter_widths = list(model.filter_widths)
        self.pad = list(model.pad)
        self.causal_shift = list(model.causal_shift)
        self.tile = tile
        self.onednn = onednn
        with torch.no_grad():
            w, b = _fold(model.expand_conv, model.expand_bn)
            # (C, J*F, k) -> (C, k*J*F): frame-major like the unfolded input below
            self.expand_w = w.permute(0, 2, 1).reshape(w.shape[0], -1).float().contiguous()
            self.expand_b = b.float()
            self.blocks: list[tuple] = []
            for i in range(1, len(self.filter_widths)):
                w1, b1 = _fold(model.layers_conv[2 * i - 2], model.layers_bn[2 * i - 2])
                w2, b2 = _fold(model.layers_conv[2 * i - 1], model.layers_bn[2 * i - 1])
                d = model.dilation[i]
                if tile and self.filter_widths[i] == 3:
                    wide = _WinogradConv3(w1, b1, d, tile, onednn)
                else:
                    wide = _PlainConv(w1.float(), b1.float(), d)
                self.blocks.append((wide, w2[:, :, 0].float().contiguous(), b2.float()))
            self.shrink_w = model.shrink.weight[:, :, 0].detach().float().contiguous()
            self.shrink_b = model.shrink.bias.detach().float()

    def receptive_field(self) -> int:
        """Receptive field in frames (product of the filter widths)."""
        return 1 + 2 * sum(self.pad)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Run the model.

        Args:
            x: (B, T, J_in, F) float32 normalised 2D keypoints, T >= receptive field.

        Returns:
            (B, T - RF + 1, J_out, 3) float32, as `TemporalModel.forward` in eval mode.
        """
        if x.dim() != 4 or x.shape[-2:] != (self.num_joints_in, self.in_features):
            raise InvalidInputError(
                "x.shape", tuple(x.shape), f"(B, T, {self.num_joints_in}, {self.in_features})")
        bsz, t = x.shape[:2]
        k0 = self.filter_widths[0]
        # (B, T, J*F) -> frames t..t+k0-1 side by side: (B*(T-k0+1), k0*J*F)
        cols = x.reshape(bsz, t, -1).unfold(1, k0, 1).transpose(2, 3).reshape(
            bsz * (t - k0 + 1), -1)
        h = linear(cols, self.expand_w, self.expand_b, relu=True, onednn=self.onednn)
        h = h.view(bsz, t - k0 + 1, -1)  # (B, T, C)
        c = h.shape[2]
        for i, (wide, w2, b2) in enumerate(self.blocks, start=1):
            p, s = self.pad[i], self.causal_shift[i]
            res = h[:, p + s: h.shape[1] - p + s]
            y = wide(h).relu_()
            t_out = y.shape[1]
            z = linear(y.reshape(-1, c), w2, b2, relu=True, onednn=self.onednn)
            h = z.view(bsz, t_out, c).add_(res)
        out = linear(h.view(-1, c), self.shrink_w, self.shrink_b, onednn=self.onednn)
        return out.view(bsz, h.shape[1], self.num_joints_out, 3)
