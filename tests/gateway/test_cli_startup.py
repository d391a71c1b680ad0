"""The CLI imports only the module of the command it runs, and parses exactly as when every
command module is registered (help texts, the command list, errors)."""

from __future__ import annotations

import argparse
import json

import pytest
from _helpers.fresh_python import fresh_python

from posearena_gateway.cli import build_parser, named_command
from posearena_gateway.commands import COMMANDS

NAMES = [c.name for c in COMMANDS]


def _sub(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def test_command_table_is_what_the_modules_register():
    sub = _sub(build_parser())
    assert list(sub.choices) == NAMES
    assert [(a.dest, a.help) for a in sub._choices_actions] == [(c.name, c.help)
                                                               for c in COMMANDS]


def test_top_level_help_needs_no_command_module():
    assert build_parser([]).format_help() == build_parser().format_help()


@pytest.mark.parametrize("name", NAMES)
def test_each_command_parses_as_with_every_module(name):
    alone, full = build_parser([name]), build_parser()
    assert alone.format_help() == full.format_help()
    assert _sub(alone).choices[name].format_help() == _sub(full).choices[name].format_help()


@pytest.mark.parametrize(("argv", "expected"), [
    (["triangulate", "--input", "a"], "triangulate"),
    (["-v", "compare-skeletons", "--out", "x"], "compare-skeletons"),
    (["--verbose", "train-lifter", "+h"], "train-lifter"),
    (["--help"], None),
    ([], None),
    (["frobnicate", "triangulate"], None),
])
def test_named_command(argv, expected):
    assert named_command(argv) == expected


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    out = fresh_python(f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))")
    return set(json.loads(out.splitlines()[-1]))


def test_help_and_triangulate_import_no_other_command():
    heavy = {"scipy.signal", "scipy.ndimage", "matplotlib", "posearena_gateway.report",
             "posearena_gateway.comparison"}
    top = _modules_after("from posearena_gateway.cli import build_parser\n"
                         "build_parser([]).format_help()")
    assert not {m for m in top if m.startswith("posearena_gateway.commands.")} - {
        "posearena_gateway.commands.exit_codes"}
    assert not heavy & top
    tri = _modules_after("from posearena_gateway.cli import build_parser\n"
                         "build_parser(['triangulate']).parse_args(['triangulate', '--input',"
                         " 'a', '--output', 'b'])")
    assert "posearena_gateway.commands.triangulate" in tri
    assert "posearena_gateway.commands.compare" not in tri
    assert not heavy & tri


def test_study_imports_the_gateway_client_its_worker_threads_use():
    """study.run imports it inside sessions that run in threads: on the main thread first."""
    mods = _modules_after("from posearena_gateway.cli import build_parser\n"
                          "build_parser(['study'])")
    assert "posearena_gateway.clients.gateway" in mods


def test_a_broken_detection_stream_is_still_described():
    import grpc
    import numpy as np

    from posearena.npzio import Detections
    from posearena_gateway.commands.exit_codes import EXIT_INPUT, describe
    from posearena_gateway.detection import DetectionInterrupted

    partial = Detections(np.zeros((3, 1, 17, 2)), np.zeros((3, 1, 17)), np.zeros((3, 1)),
                         "coco17", 30.0, 640, 480)
    exc = DetectionInterrupted(partial, grpc.StatusCode.INVALID_ARGUMENT, "frame 3: bad")
    code, message = describe(exc)
    assert code == EXIT_INPUT and message.startswith("detection stopped after 3 frame(s): ")


def test_describing_an_error_imports_no_detection():
    mods = _modules_after("from posearena_gateway.commands.exit_codes import describe\n"
                          "assert describe(ValueError('x')) is None")
    assert "posearena_gateway.detection" not in mods
