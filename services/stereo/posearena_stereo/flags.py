"""Bit flags of a triangulated point (TriangulateResponse.flags in the Pose API)."""

NOT_ENOUGH_VIEWS = 1
NON_POSITIVE_DISPARITY = 2
INTERPOLATED = 4
LEFT_RIGHT_SWAPPED = 8
VIEW_DROPPED = 16
