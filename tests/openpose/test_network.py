"""The OpenCV DNN path end to end on small Caffe models written by the test (stamp networks
with the OpenPose input/output layout, see openpose_testkit), and model-file error handling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpose_testkit import draw_blocks, write_stamp_model

from posearena.errors import ModelNotLoadedError
from posearena_openpose.caffe_io import CaffeFormatError, parse_prototxt_text, read_caffemodel
from posearena_openpose.models import ENV_VAR, load_model, resolve_models_dir
from posearena_openpose.network import _to_base, infer, net_input_size, preprocess
from posearena_openpose.parsing import GridMapping, parse_maps
from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings
from posearena_openpose.spec import BODY25, COCO
from posearena_openpose.synthetic import image_to_grid, render_maps


def _service(models: Path, model: str = "body25") -> OpenPoseService:
    return OpenPoseService(OpenPoseSettings(model=model, models_dir=str(models)))


def test_two_people_end_to_end(tmp_path: Path, stamp_offsets: np.ndarray) -> None:
    write_stamp_model(tmp_path, BODY25, stamp_offsets)
    svc = _service(tmp_path)
    assert svc.ready() == (True, "ready"), svc.ready()
    centres = [(163.5, 187.5), (339.5, 171.5)]  # block centres = cell centres 8 u + 3.5
    people = svc.detect_image(draw_blocks(496, 368, centres))  # net input = image, s = 1
    assert len(people) == 2
    for p, c in zip(sorted(people, key=lambda p: p.keypoints[8, 0]), centres, strict=True):
        expected = np.asarray(c) + 8.0 * stamp_offsets
        assert np.abs(p.keypoints - expected).max() < 0.05
        assert np.all(p.confidence > 0.98)


def test_gray_image_maps_to_zero_and_finds_nobody(tmp_path: Path, stamp_offsets) -> None:
    write_stamp_model(tmp_path, BODY25, stamp_offsets)
    svc = _service(tmp_path)
    assert svc.detect_image(draw_blocks(496, 368, [])) == []
    blob = preprocess(draw_blocks(496, 368, [(100.5, 100.5)])).blob
    assert blob.shape == (1, 3, 368, 496)
    assert np.abs(blob[0, :, 0, 0]).max() == 0.0  # 128 -> 128 / 256 - 0.5 = 0
    assert blob[0, 0, 100, 100] == pytest.approx(255 / 256 - 0.5)


def test_large_and_small_images_map_back_to_image_px(tmp_path: Path, stamp_offsets) -> None:
    write_stamp_model(tmp_path, BODY25, stamp_offsets, legacy_layers=True)
    svc = _service(tmp_path)
    # 2x the net input: the 16 px block shrinks to ~8 net px; keypoints scale back by ~2.
    big = svc.detect_image(draw_blocks(992, 736, [(327.5, 375.5)], size=16))
    assert len(big) == 1
    assert np.abs(big[0].keypoints - ((327.5, 375.5) + 16.0 * stamp_offsets)).max() < 2.5
    # Half the net input (enlarged by the service): a 4 px block becomes ~8 net px.
    small = svc.detect_image(draw_blocks(248, 184, [(81.5, 93.5)], size=4))
    assert len(small) == 1
    assert np.abs(small[0].keypoints - ((81.5, 93.5) + 4.0 * stamp_offsets)).max() < 1.5


def test_net_input_size_keeps_aspect_in_multiples_of_16() -> None:
    assert net_input_size(1920, 1080, 368) == (656, 368)
    assert net_input_size(1080, 1920, 368) == (208, 368)
    assert net_input_size(20, 10, 368) == (736, 368)


def test_missing_files_named(tmp_path: Path) -> None:
    svc = _service(tmp_path / "nowhere")
    ok, msg = svc.ready()
    assert not ok
    assert str(tmp_path / "nowhere" / "pose/body_25/pose_deploy.prototxt") in msg
    assert str(tmp_path / "nowhere" / "pose/body_25/pose_iter_584000.caffemodel") in msg
    assert "--models-dir" in msg and ENV_VAR in msg
    with pytest.raises(ModelNotLoadedError, match=r"pose_iter_584000\.caffemodel"):
        svc.detect_image(np.zeros((8, 8, 3), np.uint8))
    coco = _service(tmp_path, "coco")
    assert "pose/coco/pose_iter_440000.caffemodel" in coco.ready()[1]


def test_models_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert resolve_models_dir(None) == (tmp_path, ENV_VAR)
    assert resolve_models_dir("/x")[1] == "--models-dir"


def test_truncated_caffemodel_named(tmp_path: Path, stamp_offsets) -> None:
    _, model = write_stamp_model(tmp_path, BODY25, stamp_offsets, truncate=5000)
    ok, msg = _service(tmp_path).ready()
    assert not ok and str(model) in msg and "5000 bytes" in msg
    with pytest.raises(CaffeFormatError, match="truncated"):
        read_caffemodel(model)


def test_not_a_caffemodel(tmp_path: Path, stamp_offsets) -> None:
    _, model = write_stamp_model(tmp_path, BODY25, stamp_offsets)
    model.write_bytes(b"<html>404 Not Found</html>")
    ok, msg = _service(tmp_path).ready()
    assert not ok and str(model) in msg


def test_wrong_channel_count_is_not_ready(tmp_path: Path, stamp_offsets) -> None:
    """A COCO-sized output (57 channels) under the BODY_25 file names."""
    write_stamp_model(tmp_path, BODY25, stamp_offsets, out_channels=57)
    ok, msg = _service(tmp_path).ready()
    assert not ok
    assert "pose_deploy.prototxt" in msg and "57" in msg and "(1, 78, h, w)" in msg


def test_wrong_output_stride_is_a_clear_error(tmp_path: Path, stamp_offsets) -> None:
    write_stamp_model(tmp_path, BODY25, stamp_offsets, pool_stride=1)  # output at 1/4
    svc = _service(tmp_path)
    assert svc.ready()[0]  # channels are right; the resolution shows on the first frame
    with pytest.raises(ModelNotLoadedError, match=r"expected \(1, 78, 46, 62\)"):
        svc.detect_image(draw_blocks(496, 368, []))


def test_coco_model_end_to_end(tmp_path: Path, stamp_offsets) -> None:
    from openpose_testkit import BODY25_TO_COCO18

    offs = stamp_offsets[BODY25_TO_COCO18]
    write_stamp_model(tmp_path, COCO, offs)
    svc = _service(tmp_path, "coco")
    assert svc.ready()[0], svc.ready()
    (p,) = svc.detect_image(draw_blocks(496, 368, [(243.5, 179.5)]))
    assert p.keypoints.shape == (18, 2)
    assert np.abs(p.keypoints - ((243.5, 179.5) + 8.0 * offs)).max() < 0.05


def test_multiscale_maps_are_resampled_onto_the_base_grid(standing: np.ndarray) -> None:
    """Maps rendered at net heights 368 and 184 of one scene average to the same people."""
    truth = standing[None] * 5.0 + [[700.0, 540.0]]  # image px, 1080x1920
    scales = [367 / 1079, 183 / 1079]
    grids = [(46, 82), (23, 41)]
    maps = [np.concatenate(render_maps(image_to_grid(truth, s), BODY25, g))
            for s, g in zip(scales, grids, strict=True)]
    merged = (maps[0] + _to_base(maps[1], scales[1] / scales[0], grids[0], 8)) / 2
    mapping = GridMapping(3.5 / scales[0], 8 / scales[0], 8.0)
    (p,) = parse_maps(merged[:26], merged[26:], BODY25, mapping)
    assert np.hypot(*(p.keypoints - truth[0]).T).max() < 3.0  # coarse grid blurs a little


def test_infer_rejects_bad_scales(tmp_path: Path, stamp_offsets) -> None:
    write_stamp_model(tmp_path, BODY25, stamp_offsets)
    lm = load_model(BODY25, tmp_path)
    with pytest.raises(ValueError, match="scales"):
        infer(lm.net, draw_blocks(64, 64, []), BODY25, lm.files, 368, scales=())


def test_prototxt_parser() -> None:
    msg = parse_prototxt_text(
        'name: "n" # comment\ninput_dim: 1 input_dim: 3\n'
        'layer { name: "a" type: "Pooling" pooling_param { pool: MAX kernel_size: 2 } }\n'
        "layer: { name: 'b' bias_term: false scale: 0.5 }"
    )
    assert msg["name"] == ["n"] and msg["input_dim"] == [1, 3]
    assert msg["layer"][0]["pooling_param"][0] == {"pool": ["MAX"], "kernel_size": [2]}
    assert msg["layer"][1] == {"name": ["b"], "bias_term": [False], "scale": [0.5]}
    with pytest.raises(CaffeFormatError, match="unclosed"):
        parse_prototxt_text("layer { name: 'x'")
