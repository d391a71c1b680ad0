"""`posearena study` on the bundled UI-PRMD excerpt (real Kinect v2 and Vicon recordings):
sessions found, killed mid-study and resumed without redoing a finished session, the table
equal to the sessions' own metrics, a failing session reported while the study goes on, and
manifest errors named before any work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.cli import main
from posearena_gateway.study.aggregate import Group, group_result
from posearena_gateway.study.sessions import manifest_sessions, uiprmd_sessions

from .conftest import DATA

UIPRMD = DATA / "ui_prmd"
POSITIONS = "{}/Positions/m07_s01_e01_positions.txt.gz"


def test_uiprmd_layout_gives_every_paired_episode() -> None:
    sessions = uiprmd_sessions(UIPRMD)
    assert [(s.subject, s.exercise, s.trial) for s in sessions] == [
        ("s01", "m01", "e01"), ("s01", "m07", "e01")]
    assert sessions[0].reference.startswith("mocap:") and "Vicon" in sessions[0].reference
    assert sessions[0].candidate.startswith("kinect:") and "Kinect" in sessions[0].candidate
    with pytest.raises(InvalidInputError, match="uiprmd"):
        uiprmd_sessions(DATA / "pose2sim_demo")


def _study(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "posearena_gateway.cli", "study", "--uiprmd", str(UIPRMD),
         "--out", str(out), "--resamples", "200"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_killed_study_resumes_without_redoing_finished_sessions(tmp_path) -> None:
    out = tmp_path / "study"
    first = out / "sessions" / "s01" / "m01_e01"
    proc = _study(out)
    deadline = time.monotonic() + 240
    while not (first / "session.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # mid-study: the second session is not finished
    proc.wait()
    assert not (out / "study.json").exists()
    stamp = (first / "metrics.json").stat().st_mtime_ns

    again = _study(out)
    text, _ = again.communicate(timeout=300)
    assert again.returncode == 0, text
    assert "[1/2] s01 m01 e01: finished before, reused" in text
    assert "s01 m07 e01: ok in" in text
    assert (first / "metrics.json").stat().st_mtime_ns == stamp

    doc = json.loads((out / "study.json").read_text())
    assert doc["summary"]["ok"] == 1 and doc["summary"]["cached"] == 1
    # one session per exercise and one subject: the pooled row is that session's figures
    session = json.loads((out / "sessions/s01/m07_e01/metrics.json").read_text())
    angles = session["pipelines"]["kinect v2"]["angles"]
    rows = {(r["exercise"], r["angle"]): r for r in doc["results"]}
    assert len(rows) == 22
    for angle, m in angles.items():
        r = rows[("m07", angle)]
        assert (r["n_subjects"], r["n_sessions"], r["frames"]) == (1, 1, m["n"])
        assert r["bias_deg"] == pytest.approx(m["bias_deg"], abs=2e-3)
        assert r["rmse_deg"] == pytest.approx(m["rmse_deg"], abs=2e-3)
        assert r["loa_deg"] == pytest.approx(m["loa_deg"], abs=2e-3)
        assert r["large_error_rate"] == pytest.approx(m["large_error_rate"], abs=1e-4)
        assert (r["icc_a1"] is None) == (m["icc_a1"] is None)
        if m["icc_a1"] is not None:
            assert r["icc_a1"] == pytest.approx(m["icc_a1"], abs=2e-3)
        low, high = r["bias_ci95_deg"]
        assert low <= r["bias_deg"] <= high
    doc_md = (DATA.parent / "docs" / "metrics.md").read_text()
    keys = set(doc) | set(doc["design"]) | set(doc["summary"]) | set(doc["sessions"][0])
    keys |= {k for r in doc["results"] for k in r}
    missing = sorted(k for k in keys if f"`{k}`" not in doc_md)
    assert not missing, f"docs/metrics.md does not describe {missing}"
    page = (out / "report.html").read_text()
    assert "forest plot" in page and "standing shoulder abduction" in page
    assert (out / "figures" / "forest_r_shoulder_abduction.png").stat().st_size > 1000


def test_a_failing_session_is_reported_and_the_study_goes_on(tmp_path, capsys) -> None:
    broken = tmp_path / "broken_positions.txt"
    broken.write_text("1,2,3\nnot,a,number\n")
    manifest = tmp_path / "study.csv"
    manifest.write_text(
        "subject,exercise,trial,reference,candidate,name\n"
        f"s01,m07,e01,mocap:{UIPRMD / POSITIONS.format('Vicon')},"
        f"kinect:{UIPRMD / POSITIONS.format('Kinect')},kinect v2\n"
        f"s02,m07,e01,mocap:{UIPRMD / POSITIONS.format('Vicon')},kinect:{broken.name},"
        "kinect v2\n")
    assert main(["study", "--manifest", str(manifest), "--out", str(tmp_path / "st"),
                 "--resamples", "200"]) == 0
    text = capsys.readouterr().out
    assert "[2/2] s02 m07 e01: FAILED" in text or "[1/2] s02 m07 e01: FAILED" in text
    doc = json.loads((tmp_path / "st" / "study.json").read_text())
    status = {s["subject"]: s for s in doc["sessions"]}
    assert status["s01"]["status"] == "ok"
    assert status["s02"]["status"] == "failed" and "broken_positions" in status["s02"]["reason"]
    assert {r["n_subjects"] for r in doc["results"]} == {1}
    assert "Failed sessions" in (tmp_path / "st" / "report.html").read_text()


def test_manifest_errors_name_the_line(tmp_path) -> None:
    m = tmp_path / "m.csv"
    m.write_text("subject,exercise,candidate\ns1,squat,\n")
    with pytest.raises(InvalidInputError, match="line 2"):
        manifest_sessions(m)
    m.write_text("subject,exercise,trial,reference,candidate\n"
                 "s1,squat,1,mocap:v.txt,kinect:k.txt\ns1,squat,1,mocap:v.txt,kinect:k2.txt\n")
    with pytest.raises(InvalidInputError, match="line 3"):
        manifest_sessions(m)
    m.write_text("subject,trial\ns1,1\n")
    with pytest.raises(InvalidInputError, match="columns"):
        manifest_sessions(m)
    m.write_text("subject,exercise,videos,calib\ns1,walk,a.mp4;b.mp4,c.toml\n")
    (s,) = manifest_sessions(m)
    assert s.videos == (str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4"))
    assert s.reference == "multiview" and s.calib == str(tmp_path / "c.toml")


def test_pooled_group_over_subjects() -> None:
    """Three subjects with biases 0, 4 and 8 deg: the pooled bias is their mean and its
    subject-clustered interval is wide; a reference that barely moves gets no ICC."""
    t = np.linspace(0, 4 * np.pi, 300)
    ref = 40 + 30 * np.sin(t)
    g = Group([(f"s{i}", "e01", ref + b + 0.5 * np.cos(3 * t), ref) for i, b in
               enumerate((0.0, 4.0, 8.0))])
    r = group_result(g, 10.0, resamples=300)
    assert (r["n_subjects"], r["n_sessions"], r["frames"]) == (3, 3, 900)
    assert r["bias_deg"] == pytest.approx(4.0, abs=0.01)
    low, high = r["bias_ci95_deg"]
    assert low < 2.0 and high > 6.0
    assert r["large_error_rate"] == pytest.approx(0.0, abs=0.01)
    still = Group([("s0", "e01", np.full(50, 3.0) + np.linspace(0, 1, 50), np.full(50, 3.0))])
    assert group_result(still, 10.0, resamples=200)["icc_a1"] is None


@pytest.mark.parametrize(("argv", "phrase"), [
    (["--uiprmd", "/nonexistent"], "--uiprmd"),
    (["--manifest", "/nonexistent.csv"], "--manifest"),
    (["--uiprmd", str(UIPRMD), "--workers", "0"], "--workers"),
    (["--uiprmd", str(UIPRMD), "--subjects", "s09"], "s09"),
])
def test_bad_study_inputs_are_one_line_before_any_work(argv, phrase, tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("posearena study: error: ") and phrase in err[0]
    assert not (out / "sessions").exists()
