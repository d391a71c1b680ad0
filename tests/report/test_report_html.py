"""report.html of a real comparison (3 pipelines x 100 frames, one failed, one skipped)."""

from __future__ import annotations

import base64
import re

import cv2
import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.analysis.agreement import icc_band
from posearena_gateway.analysis.repetitions import detect_repetitions
from posearena_gateway.report import write_report
from posearena_gateway.report.tables import fmt, fmt_ci

from .conftest import build_run


def _html(run_and_report) -> str:
    return run_and_report[1].read_text(encoding="utf-8")


def test_report_is_written_in_the_run_dir_and_says_how_long_it_took(run_and_report):
    run, path = run_and_report
    assert path == run.rd.root / "report.html" and path.stat().st_size > 10_000
    # the time itself is measured by bench/bench_report.py, not asserted here
    assert re.search(r"report written in \d+\.\d s", _html(run_and_report))


def test_html_is_self_contained(run_and_report):
    html = _html(run_and_report)
    low = html.lower()
    assert "http://" not in low and "https://" not in low
    assert 'src="file' not in low and "<script" not in low and "<link" not in low
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/") for s in srcs)


def test_embedded_images_decode(run_and_report):
    html = _html(run_and_report)
    pngs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(pngs) >= 3
    for b64 in pngs[:3]:
        img = cv2.imdecode(np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.shape[0] > 100 and img.shape[1] > 100
        assert img.std() > 5  # not a blank canvas
    assert 'src="data:image/gif;base64,' in html  # the 3D animation


def test_summary_shows_names_and_metric_values(run_and_report):
    run, _ = run_and_report
    html = _html(run_and_report)
    for name, m in run.metrics["pipelines"].items():
        assert f"<td>{name}</td>" in html
        if m["status"] == "ok":
            assert f'<td class="num">{m["n_mpjpe_mm"]:.1f}</td>' in html, name
            for key, scale in (("mpjpe_mm", 1), ("p_mpjpe_mm", 1), ("pck150", 100)):
                lo, hi = m["ci95"][key]
                assert lo <= m[key] <= hi, (name, key)  # the interval holds the estimate
                cell = (f'<td class="num">{scale * m[key]:.1f}<br><span class="meta ci">'
                        f"{fmt_ci((lo, hi), 1, scale)}</span></td>")
                assert cell in html, (name, key)
    # MPJPE grows with the noise put into the candidates
    mp = [run.metrics["pipelines"][n]["mpjpe_mm"] for n in run.sigmas]
    assert mp == sorted(mp) and mp[0] > 10.0


def test_failed_and_skipped_reasons_are_escaped(run_and_report):
    html = _html(run_and_report)
    assert "UNAVAILABLE: openpose &lt;service&gt; exited (code 1)" in html
    assert "<service>" not in html
    assert '<span class="failed">failed</span>' in html
    assert "needs &gt;= 2 videos" in html
    assert "<title>walk &lt;test&gt; &amp; co</title>" in html
    assert "synthetic data &amp; a &lt;note&gt; to escape" in html


def test_reference_and_alignment_are_described(run_and_report):
    run, _ = run_and_report
    html = _html(run_and_report)
    assert "synthetic world (Z up)" in html and "synthetic walker" in html
    spatial = run.metrics["pipelines"]["beta+stereo"]["alignment"]["spatial"]
    assert html.count(spatial) == len(run.comparisons)
    assert "<td>100 / 100</td>" in html


def test_angle_tables_match_the_metrics_and_repetitions(run_and_report):
    run, _ = run_and_report
    html = _html(run_and_report)
    c = run.comparisons["alpha+videopose3d"]
    section = html.split("<h3>alpha+videopose3d</h3>")[1].split("<h3>")[0]
    for angle, a in c.metrics["angles"].items():
        row = section.split(f"<td>{angle}</td>")[1].split("</tr>")[0]
        lo, hi = a["rmse_ci95_deg"]
        assert lo <= a["rmse_deg"] <= hi
        assert (f'<td class="num">{a["rmse_deg"]:.1f}<br><span class="meta ci">'
                f"{fmt_ci((lo, hi))}</span></td>") in row
        lo, hi = a["bias_ci95_deg"]
        assert lo <= a["bias_deg"] <= hi and fmt_ci((lo, hi)) in row
        assert f'{fmt(a["loa_deg"][0])} … {fmt(a["loa_deg"][1])}' in row
        icc = a["icc_a1"]  # null for angles the reference barely moves
        assert (f"<td>{fmt(icc, 2)} {icc_band(icc)}</td>" if icc is not None
                else "<td>-</td>") in row
    assert any(a["icc_a1"] is not None for a in c.metrics["angles"].values())
    # hip flexion swings 50 deg with a 1.1 s stride: repetitions with their ROM
    reps = detect_repetitions(c.ref_angles["l_hip_flexion"], c.fps)
    assert len(reps) >= 2
    row = section.split("<td>l_hip_flexion</td>")[1].split("</tr>")[0]
    want = f"{len(reps)}: " + ", ".join(f"{r.rom_deg:.0f}" for r in reps) + "°"
    assert f"<td>{want}</td>" in row


def test_figure_files(run_and_report):
    run, _ = run_and_report
    fig = run.rd.figures
    assert cv2.imread(str(fig / "per_joint_error.png")) is not None
    assert cv2.imread(str(fig / "mpjpe_per_frame.png")) is not None
    angles = {a for c in run.comparisons.values() for a in c.metrics["angles"]}
    assert {p.stem.removeprefix("angle_") for p in fig.glob("angle_*.png")} == angles
    for name in ("alpha_videopose3d", "beta_stereo", "gamma-world"):
        assert cv2.imread(str(fig / f"bland_altman_{name}.png")) is not None


def test_report_without_reference(tmp_path):
    run = build_run(tmp_path, frames=40)
    metrics = {"reference": {"kind": "none", "status": "skipped",
                             "reason": "no reference requested"},
               "frames": 40, "fps": 30.0,
               "pipelines": {n: {"status": "ok", "reason": ""} for n in run.results}}
    path = write_report(run.rd, metrics, {}, None, run.results)
    html = path.read_text()
    assert "no reference requested" in html and "No pipeline was compared" in html
    assert not list(run.rd.figures.glob("*.png"))
    assert html.count('src="data:image/gif') == 1  # the results are still animated
    assert len(list(run.rd.exports.glob("*.npz"))) == len(run.results)


def test_bad_arguments_name_the_field(tmp_path):
    run = build_run(tmp_path, frames=20)
    with pytest.raises(InvalidInputError, match="comparisons"):
        write_report(run.rd, run.metrics, {"x": "not a comparison"}, run.reference, {})
    with pytest.raises(InvalidInputError, match=r"metrics\.pipelines"):
        write_report(run.rd, {"pipelines": []}, {}, run.reference, {})
    with pytest.raises(InvalidInputError, match="videos"):
        write_report(run.rd, run.metrics, {}, run.reference, {}, {"v": ("a.mp4", None)})


def test_pipelines_are_set_against_each_other(run_and_report):
    run, _ = run_and_report
    html = _html(run_and_report)
    section = html.split("<h2>Pipelines against each other</h2>")[1].split("<h2>")[0]
    pairs = run.metrics["pairwise"]
    assert len(pairs) == 3  # the three compared pipelines, the failed/skipped ones left out
    for p in pairs:
        m = p["mpjpe_mm"]
        assert f"<td>{p['a']}</td><td>{p['b']}</td>" in section
        assert fmt(m['difference']) in section and m["verdict"] in section
    # alpha has 10 mm of noise per axis, gamma 40 mm: alpha is closer, without doubt
    ag = next(p for p in pairs if (p["a"], p["b"]) == ("alpha+videopose3d", "gamma-world"))
    assert ag["mpjpe_mm"]["verdict"] == "alpha+videopose3d closer"
    # angle by angle: every angle of every pair has a row with its difference and verdict
    angles = section.split("<h3>")[1]
    for p in pairs:
        for angle, v in p["angles"].items():
            row = f"<td>{p['a']}</td><td>{p['b']}</td><td>{angle}</td>"
            assert row in angles, row
            assert fmt(v['difference_deg']) in angles.split(row)[1].split("</tr>")[0]
    assert ag["angles"] and all(v["a_rmse_deg"] < v["b_rmse_deg"] for v in ag["angles"].values())


def test_a_figure_group_that_fails_is_a_note_and_the_rest_is_written(tmp_path, monkeypatch):
    from posearena_gateway.report import writer

    def broken(*args, **kwargs):
        raise ValueError("no finite angle to plot")

    monkeypatch.setattr(writer, "bland_altman_figures", broken)
    run = build_run(tmp_path, frames=60)
    path = write_report(run.rd, run.metrics, run.comparisons, run.reference, run.results,
                        animation=False)
    html = path.read_text(encoding="utf-8")
    assert "Bland–Altman figures not drawn: ValueError: no finite angle to plot" in html
    assert "Bland–Altman," not in html  # none of that group's captions
    assert "MPJPE per frame over time" in html and "over time (deg)" in html
    assert not list(run.rd.figures.glob("bland_altman_*.png"))
    assert list(run.rd.exports.iterdir())  # the exports are written all the same
