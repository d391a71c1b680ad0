"""Every command against bad inputs of each kind: one line `posearena CMD: error: ...`, the
documented exit code (2 = input, 3 = service unreachable), never a traceback.

The cases that reach a service (corrupt checkpoint, views of different lengths, an unreachable
address) start real services in embedded mode; the rest fail in the CLI before any work.
"""

from __future__ import annotations

import numpy as np
import pytest

from posearena_gateway.cli import main
from posearena_gateway.commands.exit_codes import EXIT_INPUT, EXIT_UNREACHABLE

from .conftest import DATA

VIDEO = DATA / "pose2sim_demo" / "videos" / "cam01.mp4"
CALIB = DATA / "pose2sim_demo" / "Calib.qca.txt"
VICON = next((DATA / "ui_prmd" / "Vicon").rglob("*.txt*"))
RIG = ["--rig", "parallel", "--focal", "525", "--baseline", "0.28", "--cx", "320",
       "--cy", "240"]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Bad (and good) input files of every kind, written once for the module."""
    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    np.save(d / "ok.npy", (rng.random((30, 17, 2)) * 100 + 200).astype(np.float32))
    np.save(d / "short.npy", (rng.random((20, 17, 2)) * 100 + 200).astype(np.float32))
    np.save(d / "nan.npy", np.full((30, 17, 2), np.nan, np.float32))
    np.save(d / "shape.npy", np.zeros((30, 17, 3), np.float32))
    np.save(d / "empty.npy", np.zeros((0, 17, 2), np.float32))
    (d / "corrupt.npy").write_bytes(b"\x93NUMPY garbage")
    (d / "corrupt.npz").write_bytes(b"PK\x03\x04 not a zip")
    (d / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video")
    (d / "empty.mp4").write_bytes(b"")
    (d / "truncated.pt").write_bytes(b"PK\x03\x04 truncated checkpoint")
    (d / "calib.toml").write_text("[cam_1]\nname = 'cam01'\nmatrix = 'oops'\n")
    (d / "empty.txt").write_text("")
    return {p.name: str(p) for p in d.iterdir()} | {"dir": str(d), "missing": str(d / "no.npz")}


def _cases(f: dict[str, str]) -> list[tuple[list[str], int, str]]:
    """(argv, exit code, a phrase the one-line message must contain)."""
    out = f["dir"] + "/out.npz"
    return [
        # detect
        (["detect", "--video", f["missing"], "--output", out], 2, "no.npz"),
        (["detect", "--video", f["corrupt.mp4"], "--output", out], 2, "corrupt.mp4"),
        (["detect", "--video", f["empty.mp4"], "--output", out], 2, "empty.mp4"),
        (["detect", "--estimator", "nosuch", "--video", str(VIDEO), "--output", out], 2,
         "nosuch"),
        (["detect", "--video", str(VIDEO), "--output", out, "--max-people", "0"], 2,
         "--max-people"),
        (["detect", "--video", str(VIDEO), "--output", out, "--skeleton", "nosuch"], 2,
         "nosuch"),
        (["detect", "--estimator", "openpose-json", "--json-dir", f["missing"], "--output",
          out], 2, "--json-dir"),
        (["detect", "--video", str(VIDEO), "--output", out, "--person", "tallest"], 2,
         "tallest"),
        # lift
        (["lift", "--input", f["missing"], "--output", out], 2, "no.npz"),
        (["lift", "--input", f["corrupt.npy"], "--output", out, "--width", "640",
          "--height", "480"], 2, "corrupt.npy"),
        (["lift", "--input", f["corrupt.npz"], "--output", out], 2, "corrupt.npz"),
        (["lift", "--input", f["shape.npy"], "--output", out, "--width", "640",
          "--height", "480"], 2, "(T, J, 2)"),
        (["lift", "--input", f["empty.npy"], "--output", out, "--width", "640",
          "--height", "480"], 2, "T >= 1"),
        (["lift", "--input", f["nan.npy"], "--output", out, "--width", "640",
          "--height", "480"], 2, "every joint NaN"),
        (["lift", "--input", f["ok.npy"], "--output", out], 2, "--width"),
        (["lift", "--input", f["ok.npy"], "--output", out, "--width", "0", "--height", "480"],
         2, "--width=0"),
        (["lift", "--input", f["ok.npy"], "--output", out, "--width", "640", "--height",
          "480", "--checkpoint", f["missing"]], 2, "no such file"),
        (["lift", "--input", f["ok.npy"], "--output", out, "--width", "640", "--height",
          "480", "--calib", f["calib.toml"], "--camera", "cam01"], 2, "calib.toml"),
        # triangulate
        (["triangulate", "--input", f["ok.npy"], "--input", f["ok.npy"], "--output", out], 2,
         "--calib"),
        (["triangulate", "--input", f["ok.npy"], "--input", f["missing"], *RIG,
          "--output", out], 2, "no.npz"),
        (["triangulate", "--input", f["ok.npy"], "--input", f["nan.npy"], *RIG,
          "--output", out], 2, "every joint NaN"),
        (["triangulate", "--input", f["ok.npy"], "--input", f["ok.npy"], "--calib", str(CALIB),
          "--cameras", "cam01,cam09", "--output", out], 2, "cam09"),
        (["triangulate", "--input", f["ok.npy"], "--input", f["ok.npy"], "--calib",
          f["calib.toml"], "--cameras", "cam01,cam02", "--output", out], 2, "calib.toml"),
        (["triangulate", "--input", f["ok.npy"], "--input", f["ok.npy"], *RIG,
          "--skeleton", "nosuch", "--output", out], 2, "nosuch"),
        # compare / compare-skeletons / mocap-joints
        (["compare", "--video", f["missing"], "--out", f["dir"] + "/run"], 2, "no.npz"),
        (["compare", "--video", str(VIDEO), "--reference", "kinect:" + f["missing"],
          "--out", f["dir"] + "/run"], 2, "no.npz"),
        (["compare", "--video", str(VIDEO), "--pipelines", "nosuch", "--out",
          f["dir"] + "/run"], 2, "nosuch"),
        (["compare", "--video", str(VIDEO), "--video", str(VIDEO), "--calib", f["calib.toml"],
          "--out", f["dir"] + "/run"], 2, "calib.toml"),
        (["compare-skeletons", "--reference", f["empty.txt"], "--candidate", str(VICON),
          "--out", f["dir"] + "/cs"], 2, "empty.txt"),
        (["compare-skeletons", "--reference", str(VICON), "--candidate", f["missing"],
          "--out", f["dir"] + "/cs"], 2, "no.npz"),
        (["mocap-joints", "--input", f["empty.txt"], "--output", out], 2, "empty.txt"),
        (["mocap-joints", "--input", f["corrupt.npz"], "--output", out], 2, "corrupt.npz"),
        # study
        (["study", "--uiprmd", f["missing"], "--out", f["dir"] + "/st"], 2, "no.npz"),
        (["study", "--manifest", f["corrupt.npy"], "--out", f["dir"] + "/st"], 2,
         "readable UTF-8 CSV"),
        (["study", "--manifest", f["empty.txt"], "--out", f["dir"] + "/st"], 2, "columns"),
        # demo
        (["demo", "--data", f["dir"], "--out", f["dir"] + "/demo"], 2,
         "pose2sim_demo/videos/cam*.mp4"),
        # services
        (["services", "status", "nosuch"], 2, "nosuch"),
    ]


def _run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def _assert_one_line(err: str, command: str, phrase: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.startswith(f"posearena {command}: error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    others = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip()
              and not ln.startswith(f"posearena {command}: error: ") and "%|" not in ln]
    assert not others, others  # e.g. OpenCV's or FFmpeg's own line about a file
    assert phrase in lines[0], lines[0]


def test_every_command_refuses_bad_input_in_one_line(files, capfd):
    """capfd: what native code (OpenCV, FFmpeg) writes to the terminal counts too."""
    failures = []
    for argv, code, phrase in _cases(files):
        got, err = _run(argv, capfd)
        try:
            assert got == code, f"exit {got}, expected {code}: {err[-300:]}"
            _assert_one_line(err, argv[0], phrase)
        except AssertionError as exc:
            failures.append(f"{' '.join(argv[:3])}...: {exc}")
    assert not failures, "\n".join(failures)


def test_service_refusals_become_one_line_exit_2(files, capsys):
    """Errors found by the services themselves (not the CLI) keep their message."""
    out = files["dir"] + "/svc.npz"
    code, err = _run(["lift", "--input", files["ok.npy"], "--output", out, "--width", "640",
                      "--height", "480", "--checkpoint", files["truncated.pt"]], capsys)
    assert code == EXIT_INPUT
    _assert_one_line(err, "lift", "truncated.pt")
    assert "FAILED_PRECONDITION" in err
    code, err = _run(["triangulate", "--input", files["ok.npy"], "--input", files["short.npy"],
                      *RIG, "--output", out], capsys)
    assert code == EXIT_INPUT
    _assert_one_line(err, "triangulate", "views[1].keypoints")


def test_unreachable_service_names_its_address_and_what_to_run(files, capsys, monkeypatch):
    monkeypatch.setenv("POSEARENA_STEREO_ADDR", "127.0.0.1:9")  # discard port: refused
    code, err = _run(["triangulate", "--input", files["ok.npy"], "--input", files["ok.npy"],
                      *RIG, "--output", files["dir"] + "/u.npz"], capsys)
    assert code == EXIT_UNREACHABLE
    _assert_one_line(err, "triangulate", "127.0.0.1:9")
    assert "posearena services" in err
    code, err = _run(["compare", "--video", str(VIDEO), "--gateway", "127.0.0.1:9",
                      "--out", files["dir"] + "/g"], capsys)
    assert code == EXIT_UNREACHABLE
    _assert_one_line(err, "compare", "the gateway at 127.0.0.1:9 cannot be reached")


def test_triangulate_any_skeleton_from_npy(tmp_path, capsys):
    """39 Vicon markers seen by a parallel rig: --skeleton names what the .npy holds."""
    rng = np.random.default_rng(1)
    f, b, cx, cy = 525.0, 0.28, 320.0, 240.0
    X = rng.uniform([-0.5, -0.5, 1.5], [0.5, 0.5, 4.0], size=(10, 39, 3))
    left = np.stack([f * X[..., 0] / X[..., 2] + cx, f * X[..., 1] / X[..., 2] + cy], -1)
    right = np.stack([f * (X[..., 0] - b) / X[..., 2] + cx, left[..., 1]], -1)
    np.save(tmp_path / "L.npy", left.astype(np.float32))
    np.save(tmp_path / "R.npy", right.astype(np.float32))
    code = main(["triangulate", "--skeleton", "pig39", *RIG, "--input", str(tmp_path / "L.npy"),
                 "--input", str(tmp_path / "R.npy"), "--output", str(tmp_path / "p.npz")])
    assert code == 0, capsys.readouterr().err
    r = np.load(tmp_path / "p.npz")
    assert r["points_3d"].shape == (10, 39, 3) and str(r["skeleton"]) == "pig39"
    assert np.nanmax(np.abs(r["points_3d"] - X)) < 1e-3  # m


def test_unwritable_out_fails_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, err = _run(["compare", "--video", str(VIDEO), "--reference", "none",
                      "--out", str(blocker / "run")], capsys)
    assert code == EXIT_INPUT
    _assert_one_line(err, "compare", "a writable directory")


def test_full_disk_fails_before_any_work(tmp_path, capsys, monkeypatch):
    """A disk with less free space than a run needs (simulated: the free figure is what the
    OS reports, which a test cannot shrink without root)."""
    import shutil

    from posearena_gateway import rundir

    real = shutil.disk_usage
    monkeypatch.setattr(rundir.shutil, "disk_usage",
                        lambda p: real(p)._replace(free=5 * 2**20))
    code, err = _run(["compare", "--video", str(VIDEO), "--reference", "none",
                      "--out", str(tmp_path / "run")], capsys)
    assert code == EXIT_INPUT
    _assert_one_line(err, "compare", "MiB free (it has 5 MiB)")
    assert not (tmp_path / "run" / "detections").exists()
