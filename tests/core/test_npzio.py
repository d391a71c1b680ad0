"""Uncompressed npz writes: byte for byte the file np.savez writes."""

from __future__ import annotations

import time
import types
import zipfile

import numpy as np
import pytest

from posearena.npzio import atomic_save_npz


@pytest.fixture
def fixed_zip_clock(monkeypatch):
    """Zip members stamped with one time, so that two writes can be compared byte for byte."""
    clock = types.SimpleNamespace(time=lambda: 1.7e9, localtime=time.localtime)
    monkeypatch.setattr(zipfile, "time", clock)


def test_uncompressed_npz_is_the_file_np_savez_writes(tmp_path, fixed_zip_clock):
    rng = np.random.default_rng(0)
    arrays = {
        "points_3d": rng.normal(size=(40, 17, 3)),
        "reprojection_error": rng.uniform(0, 9, (40, 17)).astype(np.float32),
        "views_used": np.full((40, 17), 4, np.int32),
        "flags": np.zeros((40, 17), np.uint8),
        "mask": np.ones(5, bool),
        "skeleton": np.array("coco17"),
        "fps": np.array(30.0),
        "names": np.array([b"a", b"bc"]),
        "empty": np.zeros((0, 3)),
        "fortran": np.asfortranarray(rng.normal(size=(4, 3))),  # numpy writes these
        "strided": np.arange(20.0)[::2],
        "big_endian": np.arange(6, dtype=">i4"),
        "objects": np.array([{"a": 1}, None], dtype=object),
        "record": np.zeros(3, dtype=[("x", "<f4"), ("y", "<i2")]),
    }
    arrays["points_3d"][0, 0] = np.nan
    atomic_save_npz(tmp_path / "ours.npz", compressed=False, **arrays)
    np.savez(tmp_path / "numpy.npz", **arrays)
    assert (tmp_path / "ours.npz").read_bytes() == (tmp_path / "numpy.npz").read_bytes()
    with np.load(tmp_path / "ours.npz", allow_pickle=True) as z:
        assert z.files == list(arrays)
        assert z["points_3d"].tobytes() == arrays["points_3d"].tobytes()


def test_compressed_npz_still_deflates(tmp_path):
    atomic_save_npz(tmp_path / "z.npz", x=np.zeros(10_000))
    with zipfile.ZipFile(tmp_path / "z.npz") as zf:
        assert zf.getinfo("x.npy").compress_type == zipfile.ZIP_DEFLATED
    assert not list(tmp_path.glob(".*tmp*"))
