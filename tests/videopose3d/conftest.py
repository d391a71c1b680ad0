"""Shared fixtures for the VideoPose3D tests: small random models built here."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from posearena_videopose3d.model import TemporalModel


def random_model(widths: list[int], channels: int = 32, causal: bool = False,
                 seed: int = 0, dense: bool = False) -> TemporalModel:
    """TemporalModel 17 -> 17 with random weights and random BN statistics, eval mode."""
    torch.manual_seed(seed)
    model = TemporalModel(17, 2, 17, widths, causal=causal, channels=channels, dense=dense)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm1d):
                mod.running_mean.normal_(0, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0, 0.2)
    return model.eval()


@pytest.fixture
def make_model() -> Callable[..., TemporalModel]:
    """Factory: make_model(widths, channels=32, causal=False, seed=0, dense=False)."""
    return random_model
