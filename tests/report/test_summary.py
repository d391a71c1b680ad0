"""print_summary / summary_rows on a metrics dict of real comparisons."""

from __future__ import annotations

import numpy as np
import pytest

from posearena.errors import InvalidInputError
from posearena_gateway.report import print_summary, summary_rows
from posearena_gateway.report.tables import fmt_ci

from .conftest import build_run


@pytest.fixture(scope="module")
def metrics(tmp_path_factory):
    return build_run(tmp_path_factory.mktemp("summary"), frames=60).metrics


def test_rows_hold_the_metrics(metrics):
    rows = {r.name: r for r in summary_rows(metrics)}
    assert list(rows) == list(metrics["pipelines"])
    m = metrics["pipelines"]["beta+stereo"]
    r = rows["beta+stereo"]
    assert (r.mpjpe_mm, r.p_mpjpe_mm, r.pck150) == (m["mpjpe_mm"], m["p_mpjpe_mm"], m["pck150"])
    rmses = [a["rmse_deg"] for a in m["angles"].values()]
    assert r.angle_rmse_deg == pytest.approx(np.mean(rmses)) and r.n_angles == len(rmses)
    failed = rows["openpose+multiview"]
    assert failed.status == "failed" and failed.mpjpe_mm is None and failed.angle_rmse_deg is None


def test_text_table(metrics):
    text = print_summary(metrics)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["pipeline", "status"]
    assert len(lines) == 2 + len(metrics["pipelines"]) + len(metrics["pairwise"])
    for p in metrics["pairwise"]:  # one line per pair, after the table
        m = p["mpjpe_mm"]
        assert (f"{p['a']} - {p['b']}: MPJPE {m['difference']:+.1f} mm "
                f"{fmt_ci(tuple(m['ci95']))} ({m['verdict']})") in lines
    for name, m in metrics["pipelines"].items():
        line = next(ln for ln in lines if ln.startswith(name + "  "))
        if m["status"] == "ok":
            assert f"{m['mpjpe_mm']:.1f}" in line and f"{m['p_mpjpe_mm']:.1f}" in line
            assert f"{100 * m['pck150']:.1f}" in line
        else:
            assert m["reason"] in line and " - " in line
    # numeric columns are right-aligned: the MPJPE values end in the same column
    ends = {ln.index(f"{metrics['pipelines'][n]['mpjpe_mm']:.1f}")
            + len(f"{metrics['pipelines'][n]['mpjpe_mm']:.1f}")
            for n in ("alpha+videopose3d", "beta+stereo", "gamma-world")
            for ln in lines[:2 + len(metrics["pipelines"])] if ln.startswith(n + " ")}
    assert len(ends) == 1


def test_reference_problem_heads_the_table(metrics):
    m = dict(metrics, reference={"kind": "multiview", "status": "skipped",
                                 "reason": "needs >= 2 calibrated videos"})
    assert print_summary(m).splitlines()[0] == (
        "reference multiview: skipped (needs >= 2 calibrated videos)")


def test_nan_and_missing_values_print_as_dash():
    text = print_summary({"pipelines": {"a": {"status": "ok", "mpjpe_mm": float("nan"),
                                              "angles": {"x": {"rmse_deg": None}}}}})
    row = text.splitlines()[-1].split()
    assert row[:2] == ["a", "ok"] and row[2:6] == ["-", "-", "-", "-"]


def test_numbers_that_round_to_zero_carry_no_sign():
    from posearena_gateway.report.tables import fmt

    assert [fmt(-0.004), fmt(-0.05), fmt(-1e-9, 2), fmt(-12.34), fmt(0.2, 1, 100.0, " %")] == [
        "0.0", "-0.1", "0.00", "-12.3", "20.0 %"]


@pytest.mark.parametrize("bad", [None, [], {"pipelines": None}, {"pipelines": {"a": 1}}])
def test_bad_metrics(bad):
    with pytest.raises(InvalidInputError, match=r"metrics\.pipelines"):
        print_summary(bad)
