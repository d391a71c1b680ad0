"""The pairwise section of the report: with many pairs the angle table is folded, not lost."""

from __future__ import annotations

from posearena_gateway.report.html import pairwise_section


def _pair(a: str, b: str, verdict: str) -> dict:
    return {"a": a, "b": b, "joints": list(range(12)),
            "mpjpe_mm": {"difference": 1.0, "ci95": [0.5, 1.5], "verdict": verdict},
            "p_mpjpe_mm": {"difference": 1.0, "ci95": [-0.5, 1.5], "verdict": "no clear"},
            "angles": {"l_knee_flexion": {"a_rmse_deg": 5.0, "b_rmse_deg": 9.0,
                                          "difference_deg": -4.0, "ci95_deg": [-6.0, -2.0],
                                          "verdict": f"{a} closer"}}}


def test_many_pairs_fold_the_angle_table_and_keep_every_row():
    names = ["p1", "p2", "p3", "p4"]
    pairs = [_pair(a, b, f"{a} closer") for i, a in enumerate(names) for b in names[i + 1:]]
    html = pairwise_section({"pairwise": pairs})
    folded = html.split("<details>")[1]
    assert "6 pairs × angles (6 verdicts with a clear difference)" in folded
    for p in pairs:
        assert f"<td>{p['a']}</td><td>{p['b']}</td><td>l_knee_flexion</td>" in folded


def test_few_pairs_show_the_angle_table_open():
    html = pairwise_section({"pairwise": [_pair("p1", "p2", "p1 closer")]})
    assert "<details>" not in html and "<td>l_knee_flexion</td>" in html
