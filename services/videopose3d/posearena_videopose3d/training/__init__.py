"""Training of the VideoPose3D lifter from 3D joint sequences (supervised and semi-supervised).

Entry point: `python -m posearena_videopose3d.training --help`.
"""
