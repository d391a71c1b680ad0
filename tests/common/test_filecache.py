"""Derived model files kept between runs (posearena.filecache)."""

from __future__ import annotations

import os

import pytest

from posearena.filecache import CACHE_ENV, cache_root, cached_derivation


def test_made_once_then_read_back(tmp_path):
    calls = []

    def make() -> bytes:
        calls.append(1)
        return b"derived bytes"

    path = tmp_path / "sub" / "model-abc-v1.bin"
    first, how1 = cached_derivation(path, make, verb="pruned")
    second, how2 = cached_derivation(path, make, verb="pruned")
    assert first == second == b"derived bytes" and len(calls) == 1
    assert how1 == f"pruned, cached at {path}" and how2 == f"cached {path}"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def test_a_failed_derivation_leaves_no_file(tmp_path):
    path = tmp_path / "m.bin"

    def broken() -> bytes:
        raise ValueError("not a model")

    with pytest.raises(ValueError, match="not a model"):
        cached_derivation(path, broken)
    assert not path.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_cache_still_gives_the_bytes(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    data, how = cached_derivation(ro / "m.bin", lambda: b"x")
    assert data == b"x" and how.startswith("made (cache not writable")


def test_unwritable_cache_path_still_gives_the_bytes(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")  # a file where the cache folder should be: mkdir fails, even as root
    data, how = cached_derivation(blocker / "sub" / "m.bin", lambda: b"x", verb="converted")
    assert data == b"x" and how.startswith("converted (cache not writable")


def test_cache_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert cache_root() == tmp_path
    monkeypatch.delenv(CACHE_ENV)
    assert cache_root().parts[-2:] == (".cache", "posearena")
