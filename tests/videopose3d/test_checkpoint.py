"""Checkpoint loading: official format, bare state dict, ours; bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posearena.errors import InvalidInputError
from posearena_videopose3d.checkpoint import infer_architecture, load_checkpoint, save_checkpoint
from posearena_videopose3d.model import TemporalModelOptimized1f


class Payload:
    """A class a weights-only load must refuse to build."""


def _outputs(model: torch.nn.Module, seed: int = 3) -> torch.Tensor:
    x = torch.randn(2, 40, 17, 2, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return model(x)


def test_official_format_loads_with_identical_outputs(make_model, tmp_path: Path) -> None:
    ref = make_model([3, 3, 3], channels=48)
    path = tmp_path / "official.bin"
    # As run.py saves it: training-model weights plus epoch, lr, optimizer, RandomState.
    train = TemporalModelOptimized1f(17, 2, 17, [3, 3, 3], channels=48)
    train.load_state_dict(ref.state_dict())
    opt = torch.optim.Adam(train.parameters(), lr=1e-3)
    torch.save({"epoch": 1, "lr": 1e-3, "random_state": np.random.RandomState(1234),
                "optimizer": opt.state_dict(), "model_pos": train.state_dict(),
                "model_traj": None}, path)
    model, meta = load_checkpoint(path)
    assert meta["filter_widths"] == [3, 3, 3] and meta["channels"] == 48
    assert meta["epoch"] == 1 and meta["receptive_field"] == 27
    assert not model.training
    assert torch.equal(_outputs(model), _outputs(ref))
    # Requested architecture equal to the file's also works.
    model2, _ = load_checkpoint(path, filter_widths=[3, 3, 3], channels=48)
    assert torch.equal(_outputs(model2), _outputs(ref))


def test_bare_state_dict(make_model, tmp_path: Path) -> None:
    ref = make_model([3, 5], channels=32)
    torch.save(ref.state_dict(), tmp_path / "bare.pt")
    model, meta = load_checkpoint(tmp_path / "bare.pt")
    assert meta["filter_widths"] == [3, 5] and model.receptive_field() == 15
    assert torch.equal(_outputs(model), _outputs(ref))


def test_our_format_round_trip_with_metadata(make_model, tmp_path: Path) -> None:
    ref = make_model([3, 3], channels=32, causal=True)
    path = save_checkpoint(tmp_path / "sub" / "ours.pt", ref, training_data="unit test",
                           extra={"val_p_mpjpe_mm": 28.5})
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "posearena-videopose3d/1"
    model, meta = load_checkpoint(path)
    assert model.causal is True  # not visible in the weights: from the metadata
    assert meta["input_skeleton"] == "coco17" and meta["output_skeleton"] == "h36m17"
    assert meta["training_data"] == "unit test" and meta["val_p_mpjpe_mm"] == 28.5
    assert meta["date"].startswith("20")
    assert torch.equal(_outputs(model), _outputs(ref))


def test_infer_architecture(make_model) -> None:
    arch = infer_architecture(make_model([3, 3, 5], channels=40).state_dict())
    assert arch == {"filter_widths": [3, 3, 5], "channels": 40, "num_joints_in": 17,
                    "num_joints_out": 17}


def test_mismatching_arch_names_layer_and_shapes(make_model, tmp_path: Path) -> None:
    torch.save({"model_pos": make_model([3, 3], channels=32).state_dict()}, tmp_path / "a.bin")
    with pytest.raises(InvalidInputError) as err:
        load_checkpoint(tmp_path / "a.bin", channels=64)
    msg = str(err.value)
    assert "expand_bn.weight" in msg and "(32,)" in msg and "(64,)" in msg
    with pytest.raises(InvalidInputError) as err:
        load_checkpoint(tmp_path / "a.bin", filter_widths=[3, 5])
    assert "layers_conv.0.weight" in str(err.value)
    assert "(32, 32, 3)" in str(err.value) and "(32, 32, 5)" in str(err.value)
    with pytest.raises(InvalidInputError, match=r"layers_conv.2.weight.*missing"):
        load_checkpoint(tmp_path / "a.bin", filter_widths=[3, 3, 3])
    with pytest.raises(InvalidInputError, match=r"extra layers"):
        load_checkpoint(tmp_path / "a.bin", filter_widths=[3])


def test_truncated_corrupt_and_missing_files(make_model, tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    torch.save({"model_pos": make_model([3, 3]).state_dict()}, good)
    data = good.read_bytes()
    bad = tmp_path / "truncated.pt"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInputError, match=r"truncated.pt"):
        load_checkpoint(bad)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a checkpoint at all" * 10)
    with pytest.raises(InvalidInputError, match=r"junk.bin"):
        load_checkpoint(junk)
    with pytest.raises(InvalidInputError, match=r"absent.pt"):
        load_checkpoint(tmp_path / "absent.pt")


def test_unsafe_pickles_and_wrong_content_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pt"
    sd = TemporalModelOptimized1f(17, 2, 17, [3], channels=8).state_dict()
    torch.save({"model_pos": sd, "extra": Payload()}, evil)  # not allowlisted
    with pytest.raises(InvalidInputError, match=r"evil.pt.*UnpicklingError"):
        load_checkpoint(evil)
    other = tmp_path / "other.pt"
    torch.save({"weight": torch.zeros(3)}, other)
    with pytest.raises(InvalidInputError, match=r"expand_conv.weight"):
        load_checkpoint(other)
