"""Frame bytes (JPEG/PNG file bytes or raw BGR) -> BGR images, with named errors."""

from __future__ import annotations

import cv2
import numpy as np

from posearena.errors import InvalidInputError

ACCEPTED_INPUTS = ("image/jpeg", "image/png", "raw/bgr24")


def decode_image(
    encoded: bytes | None, raw_bgr: bytes | None, width: int, height: int, field: str
) -> np.ndarray:
    """Decode one frame's bytes into a BGR image.

    Args:
        encoded: JPEG or PNG file bytes, or None.
        raw_bgr: height * width * 3 bytes (BGR, row-major), or None; exactly one is given.
        width: image width in px; required (> 0) with raw_bgr, checked for encoded images
            when > 0.
        height: image height in px, like `width`.
        field: the frame's name in error messages, e.g. "frame[index=12]".

    Returns:
        (height, width, 3) uint8 BGR image.

    Raises:
        InvalidInputError: no image, undecodable bytes, wrong raw length or size mismatch.
    """
    if raw_bgr is not None:
        if width <= 0 or height <= 0:
            raise InvalidInputError(f"{field}.width/height", (width, height), "> 0 with raw_bgr")
        expected = width * height * 3
        if len(raw_bgr) != expected:
            raise InvalidInputError(
                f"{field}.raw_bgr", f"{len(raw_bgr)} bytes",
                f"width*height*3 = {width}*{height}*3 = {expected} bytes",
            )
        return np.frombuffer(raw_bgr, dtype=np.uint8).reshape(height, width, 3)
    if not encoded:
        raise InvalidInputError(f"{field}.image", "empty", "encoded (JPEG/PNG) or raw_bgr bytes")
    img = cv2.imdecode(np.frombuffer(encoded, dtype=np.uint8), cv2.IMREAD_COLOR)
    if img is None or img.ndim != 3 or img.size == 0:
        raise InvalidInputError(
            f"{field}.encoded", f"{len(encoded)} bytes {bytes(encoded[:8])!r}", "JPEG or PNG bytes"
        )
    h, w = img.shape[:2]
    if (width > 0 and width != w) or (height > 0 and height != h):
        raise InvalidInputError(
            f"{field}.width/height", (width, height), f"the encoded image's size ({w}, {h})"
        )
    return img
