"""Pipelines: detector -> lifter, detector x2 -> stereo, detector xN -> multi-view, world.

Modules are imported by name (`catalog`, `runner`, ...): `names` must stay importable without
the stages' heavy imports.
"""
