"""Weight loading: foreign layouts round-trip, missing weights, wrong architecture, pickles."""

from __future__ import annotations

import pickle

import pytest

pytest.importorskip(
    "torchvision", reason="torchvision is only in .venvs/detectron (run these tests with "
    ".venvs/detectron/bin/python -m pytest tests/detectron)"
)

import numpy as np
import torch

from posearena.errors import InvalidInputError, ModelNotLoadedError
from posearena_detectron.model import VARIANTS, get_spec
from posearena_detectron.weights import (
    WeightsMismatchError,
    find_weights,
    load_model,
)


def _run(model: torch.nn.Module, rgb: np.ndarray) -> dict[str, np.ndarray]:
    model.rpn._pre_nms_top_n["testing"] = 200  # as make_random_weights.fast
    model.rpn._post_nms_top_n["testing"] = 50
    model.roi_heads.detections_per_img = 4
    x = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255.0
    with torch.no_grad():
        out = model([x])[0]
    return {k: v.numpy() for k, v in out.items()}


def _same_outputs(a: dict, b: dict, rtol: float) -> None:
    assert len(a["scores"]) > 0, "the random model should detect someone"
    assert a["boxes"].shape == b["boxes"].shape
    np.testing.assert_allclose(a["scores"], b["scores"], rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(a["boxes"], b["boxes"], rtol=rtol, atol=1e-3)
    np.testing.assert_allclose(a["keypoints"], b["keypoints"], rtol=rtol, atol=1e-3)
    np.testing.assert_allclose(a["keypoints_scores"], b["keypoints_scores"], rtol=1e-3, atol=1e-3)


def test_detectron2_pkl_round_trip(rw, tmp_path, test_image) -> None:
    spec = get_spec("detectron2_r50")
    src = rw.random_model(spec.name, seed=1)
    rw.save_pickle(tmp_path / spec.files[0],
                   {"model": rw.to_detectron2_layout(src.state_dict()), "__author__": "test"}, 4)
    got = load_model(tmp_path, spec.name, min_size=128, max_size=224)
    assert got.report.ok and got.report.source_format == "detectron2"
    assert "backbone.body.conv1.weight" in got.report.transformed
    assert "roi_heads.box_predictor.cls_score.weight" in got.report.transformed
    assert "pixel_mean" in got.report.ignored
    dst = got.model.state_dict()
    for k, v in src.state_dict().items():
        if "bbox_pred" in k:  # background deltas are not stored by Detectron2
            v, dst_v = v[4:], dst[k][4:]
        else:
            dst_v = dst[k]
        assert torch.equal(v, dst_v), k
    assert got.model.backbone.body.layer2[0].conv1.stride == (2, 2)  # MSRA stride in 1x1
    _same_outputs(_run(src, test_image), _run(got.model, test_image), rtol=1e-5)


def test_detectron_v1_pkl_round_trip(rw, tmp_path, test_image) -> None:
    spec = get_spec("detectron_r101")
    src = rw.random_model(spec.name, seed=2)
    blobs = rw.to_detectron_layout(src.state_dict())
    assert "res4_22_branch2c_bn_s" in blobs and "fpn_inner_res4_22_sum_lateral_w" in blobs
    path = tmp_path / "e2e_keypoint_rcnn_R-101-FPN_s1x" / "model_final.pkl"
    rw.save_pickle(path, {"blobs": blobs, "cfg": "MODEL:\n  TYPE: generalized_rcnn\n"}, 2)
    got = load_model(tmp_path, "auto", min_size=128, max_size=224)  # auto finds it
    assert got.spec.name == spec.name and got.path == path
    r = got.report
    assert r.ok and len(r.loaded) == len(blobs) - 2
    assert set(r.ignored) == {"kps_score_w", "conv1_w_momentum"}
    assert "backbone.body.layer3.22.bn3.running_var" in r.filled
    # AffineChannel folding changes the arithmetic order, not the function
    _same_outputs(_run(src, test_image), _run(got.model, test_image), rtol=1e-3)


def test_missing_weights_names_every_file_and_the_folder(tmp_path) -> None:
    with pytest.raises(ModelNotLoadedError) as exc:
        find_weights(tmp_path)
    msg = str(exc.value)
    assert str(tmp_path.resolve()) in msg
    for spec in VARIANTS.values():
        assert spec.files[0] in msg
    assert "model_final_997cc7.pkl" in msg and "model_final_a6e10b.pkl" in msg
    with pytest.raises(ModelNotLoadedError, match=r"model_final_a6e10b\.pkl"):
        load_model(tmp_path, "detectron2_r50")


def test_wrong_architecture_lists_mismatches(rw, tmp_path) -> None:
    r101 = rw.random_model("detectron2_r101", seed=3)
    d2 = rw.to_detectron2_layout(r101.state_dict())
    rw.save_pickle(tmp_path / "model_final_a6e10b.pkl", {"model": d2}, 4)  # R-101 as R-50 name
    with pytest.raises(WeightsMismatchError) as exc:
        load_model(tmp_path, "detectron2_r50")
    report = exc.value.report
    extra = {n.split(" ")[0] for n in report.unmatched}
    assert "backbone.bottom_up.res4.22.conv3.weight" in extra
    assert len(extra) == 17 * 15  # res4 blocks 6..22: 3 conv weights + 3 norms x 4 tensors
    assert not report.missing
    assert "255 checkpoint tensors with no place in the model: backbone.bottom_up.res4" in str(
        exc.value)
    # a tensor of the wrong shape is named with both shapes
    d2 = rw.to_detectron2_layout(rw.random_model("detectron2_r50", seed=3).state_dict())
    d2["roi_heads.keypoint_head.score_lowres.weight"] = np.zeros((512, 14, 4, 4), np.float32)
    rw.save_pickle(tmp_path / "model_final_a6e10b.pkl", {"model": d2}, 4)
    with pytest.raises(WeightsMismatchError, match=r"kps_score_lowres.weight \(512, 14, 4, 4\) "
                       r"vs \(512, 17, 4, 4\)"):
        load_model(tmp_path, "detectron2_r50")


def test_torchvision_pth_and_family_check(rw, tmp_path) -> None:
    path = tmp_path / "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"
    assert rw.main([str(path)]) == 0  # keypointrcnn_resnet50_fpn(weights=None) state dict
    got = load_model(tmp_path, "auto", min_size=128, max_size=224)
    assert got.spec.name == "torchvision_r50"
    assert all(k.endswith("num_batches_tracked") for k in got.report.ignored)
    with pytest.raises(WeightsMismatchError,
                       match=r"255 model tensors missing from the checkpoint: .*layer3\.1\d"):
        load_model(tmp_path, "torchvision_r101", weights=path)
    rw.save_pickle(tmp_path / "x.pkl", {"model": {}}, 4)
    with pytest.raises(InvalidInputError, match="detectron2 layout"):
        load_model(tmp_path, "detectron_r101", weights=tmp_path / "x.pkl")


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_restricted_unpickler_refuses_code(tmp_path) -> None:
    path = tmp_path / "model_final_a6e10b.pkl"
    path.write_bytes(pickle.dumps({"model": {"x": _Evil()}}))
    with pytest.raises(InvalidInputError, match=r"refused global builtins\.print"):
        load_model(tmp_path, "detectron2_r50")
