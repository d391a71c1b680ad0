"""Per-frame angle exports of a real run (UI-PRMD m07, Kinect v2 vs Vicon): the long CSV,
read with nothing but the csv module and an independent computation, gives metrics.json's
bias, RMSE, limits of agreement, ICC(A,1) and large-error rate; the .mot files hold the same
angles; the repetition exports match metrics.json."""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from pathlib import Path

import pytest

from posearena_gateway.exporters.angles import read_mot
from posearena_gateway.pipelines.skeletons import compare_skeleton_files

ROOT = Path(__file__).resolve().parents[2]
UIPRMD = ROOT / "data" / "ui_prmd"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("m07")
    result = compare_skeleton_files(
        f"mocap:{UIPRMD / 'Vicon' / 'Positions' / 'm07_s01_e01_positions.txt.gz'}",
        f"kinect:{UIPRMD / 'Kinect' / 'Positions' / 'm07_s01_e01_positions.txt.gz'}",
        out, big_error_deg=10.0, name="kinect v2", labels=("s01", "m07_e01"))
    return out, result.metrics


def _pairs_from_csv(path: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(pipeline, measure) -> [(pred, ref)] with blanks as NaN, in frame order."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["subject", "trial", "frame", "time_s", "measure", "pred", "ref",
                             "pipeline"]
    for r in rows:
        assert (r["subject"], r["trial"]) == ("s01", "m07_e01")
        num = [float(r[k]) if r[k] else math.nan for k in ("pred", "ref")]
        out[(r["pipeline"], r["measure"])].append((num[0], num[1]))
    return out


def _icc_a1(x: list[float], y: list[float]) -> float:
    """McGraw & Wong ICC(A,1) for two raters, written out from the two-way ANOVA table."""
    n = len(x)
    rows = [(a + b) / 2 for a, b in zip(x, y, strict=True)]
    grand = sum(rows) / n
    mean_x, mean_y = sum(x) / n, sum(y) / n
    ms_rows = 2 * sum((r - grand) ** 2 for r in rows) / (n - 1)
    ms_cols = n * ((mean_x - grand) ** 2 + (mean_y - grand) ** 2)
    ss_err = sum((a - r - mean_x + grand) ** 2 + (b - r - mean_y + grand) ** 2
                 for a, b, r in zip(x, y, rows, strict=True))
    ms_err = ss_err / (n - 1)
    return (ms_rows - ms_err) / (ms_rows + ms_err + 2 * (ms_cols - ms_err) / n)


def test_csv_alone_gives_the_metrics(run) -> None:
    out, metrics = run
    pairs = _pairs_from_csv(out / "exports" / "angles.csv")
    angles = metrics["pipelines"]["kinect v2"]["angles"]
    assert {m for _, m in pairs} == set(angles)
    assert sum(a["icc_a1"] is not None for a in angles.values()) >= 1  # some move >= 10 deg
    assert sum(a["icc_a1"] is None for a in angles.values()) >= 1  # some stay still
    for (pipeline, measure), values in pairs.items():
        assert pipeline == "kinect v2"
        m = angles[measure]
        both = [(p, r) for p, r in values if not (math.isnan(p) or math.isnan(r))]
        d = [p - r for p, r in both]
        n = len(d)
        bias = sum(d) / n
        sd = math.sqrt(sum((v - bias) ** 2 for v in d) / (n - 1))
        assert n == m["n"]
        assert bias == pytest.approx(m["bias_deg"], abs=1e-3)
        assert math.sqrt(sum(v * v for v in d) / n) == pytest.approx(m["rmse_deg"], abs=1e-3)
        assert [bias - 1.96 * sd, bias + 1.96 * sd] == pytest.approx(m["loa_deg"], abs=1e-3)
        assert sum(abs(v) >= 10.0 for v in d) / n == pytest.approx(m["large_error_rate"],
                                                                   abs=1e-4)
        refs = [r for _, r in values if not math.isnan(r)]
        if max(refs) - min(refs) < 10.0:
            assert m["icc_a1"] is None
        else:
            icc = _icc_a1([p for p, _ in both], [r for _, r in both])
            assert icc == pytest.approx(m["icc_a1"], abs=1e-3)


def test_mot_files_hold_the_csv_angles(run) -> None:
    out, _ = run
    pairs = _pairs_from_csv(out / "exports" / "angles.csv")
    cand, ref = read_mot(out / "exports" / "kinect_v2.angles.mot"), read_mot(
        out / "exports" / "reference.angles.mot")
    header = (out / "exports" / "kinect_v2.angles.mot").read_text().split("endheader")[0]
    assert re.search(r"^inDegrees=yes$", header, re.M)
    assert cand.times[1] - cand.times[0] == pytest.approx(0.01)  # Vicon clock, 100 Hz
    for (_, measure), values in pairs.items():
        for col, mot in ((0, cand), (1, ref)):
            expect = [v[col] for v in values]
            got = mot.angles[measure].tolist()
            assert len(got) == len(expect)
            assert all((math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-5)
                       for a, b in zip(got, expect, strict=True))


def test_repetition_exports_match_metrics(run) -> None:
    out, metrics = run
    reps = metrics["pipelines"]["kinect v2"]["repetitions"]
    # shoulder abduction: the exercise, one repetition per UI-PRMD episode
    abd = reps["r_shoulder_abduction"]
    assert abd["count"] == 1 and len(abd["reference_mean_deg"]) == 101
    assert abd["reference_mean_deg"][50] > abd["reference_mean_deg"][0] + 60
    with (out / "exports" / "repetitions.csv").open(newline="") as f:
        rows = {r["measure"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(reps)
    for measure, row in rows.items():
        c = reps[measure]["cycles"][0]
        assert int(row["start_frame"]) == c["start_frame"]
        assert float(row["peak_pred_deg"]) - float(row["peak_ref_deg"]) == pytest.approx(
            c["peak_error_deg"], abs=2e-3)
    with (out / "exports" / "angle_cycles.csv").open(newline="") as f:
        cyc = [r for r in csv.DictReader(f) if r["measure"] == "r_shoulder_abduction"]
    assert [float(r["percent"]) for r in cyc] == list(range(101))
    err = [float(r["pred"]) - float(r["ref"]) for r in cyc]
    assert err == pytest.approx(abd["error_mean_deg"], abs=0.01)


def test_new_metrics_fields_are_documented(run) -> None:
    _, metrics = run
    doc = (ROOT / "docs" / "metrics.md").read_text()
    p = metrics["pipelines"]["kinect v2"]
    keys = {"large_error_threshold_deg", "repetitions"}
    keys |= {k for a in p["angles"].values() for k in a}
    for r in p["repetitions"].values():
        keys |= set(r) | {k for c in r["cycles"] for k in c} | set(r["peak_error_deg"])
    missing = sorted(k for k in keys
                     if not re.search(rf"`([^`\s]*\.)?{re.escape(k)}(\.[^`\s]*)?`", doc))
    assert not missing, f"docs/metrics.md does not describe {missing}"
