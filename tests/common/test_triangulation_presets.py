"""Triangulation presets are the one source of the settings and of their method text."""

from __future__ import annotations

import math

import pytest

from posearena.errors import InvalidInputError
from posearena.triangulation_presets import PRESETS, SERVICE_DEFAULT, get_preset


def test_reference_is_candidate_plus_low_pass():
    cand, ref = PRESETS["candidate"].options(60.0), PRESETS["reference"].options(60.0)
    assert ref.filter_cutoff_hz == 6.0 and cand.filter_cutoff_hz == 0.0
    ref.filter_cutoff_hz = 0.0
    assert ref == cand


def test_method_text_follows_every_setting():
    words = PRESETS["reference"].method()
    for part in ("15 px", "L/R swaps", "refined", "confidence 0.3", "10 frames", "6 Hz"):
        assert part in words, (part, words)
    assert PRESETS["raw"].method() == "DLT of every view"
    assert math.isinf(PRESETS["raw"].options(30.0).max_reprojection_error_px)


def test_low_pass_is_skipped_when_the_frame_rate_cannot_carry_it():
    assert PRESETS["reference"].options(10.0).filter_cutoff_hz == 0.0


def test_the_service_default_is_a_named_preset_and_unknown_names_are_refused():
    assert SERVICE_DEFAULT is PRESETS["candidate"]
    with pytest.raises(InvalidInputError, match="candidate"):
        get_preset("nosuch")


def test_stereo_service_and_cli_read_the_preset():
    from posearena_gateway.cli import build_parser
    from posearena_gateway.commands.triangulate import _options
    from posearena_stereo.servicer import DEFAULT_MAX_ERROR_PX

    assert SERVICE_DEFAULT.max_reprojection_error_px == DEFAULT_MAX_ERROR_PX
    args = build_parser().parse_args(["triangulate", "--input", "a", "--output", "b"])
    assert _options(args, 60.0) == PRESETS["candidate"].options(60.0)
    args = build_parser().parse_args(["triangulate", "--input", "a", "--output", "b",
                                      "--preset", "reference", "--max-gap", "0"])
    opts = _options(args, 60.0)
    assert opts.filter_cutoff_hz == 6.0 and opts.max_gap_frames == 0
