"""Frame bytes (JPEG/PNG file bytes or raw BGR) -> RGB images, with named errors; no gRPC.

Grayscale images are replicated to three channels, an alpha channel is dropped and 16-bit
PNGs are scaled to 8 bits (value / 257), so that any ordinary image works; everything else
is refused with the frame and field named.
"""

from __future__ import annotations

import cv2
import numpy as np

from posearena.errors import InvalidInputError

ACCEPTED_INPUTS = ("image/jpeg", "image/png", "raw/bgr24")


def _to_rgb8(img: np.ndarray, field: str) -> np.ndarray:
    """Any decoded OpenCV image (gray, BGR, BGRA; 8 or 16 bit) -> (H, W, 3) uint8 RGB."""
    if img.dtype == np.uint16:
        img = (img.astype(np.uint32) // 257).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise InvalidInputError(f"{field}.encoded", f"{img.dtype} pixels", "8- or 16-bit images")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        return cv2.cvtColor(img.reshape(img.shape[:2]), cv2.COLOR_GRAY2RGB)
    if img.ndim == 3 and img.shape[2] == 3:
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    raise InvalidInputError(f"{field}.encoded", f"image of shape {img.shape}",
                            "a gray, BGR or BGRA image")


def decode_rgb(encoded: bytes | None, raw_bgr: bytes | None, width: int, height: int,
               field: str) -> np.ndarray:
    """Decode one frame's bytes into an RGB image.

    Args:
        encoded: JPEG or PNG file bytes (or None).
        raw_bgr: height * width * 3 bytes, BGR, row-major (or None). Exactly one of
            `encoded` / `raw_bgr` is used.
        width: image width in px; required (> 0) with raw_bgr, checked against encoded
            images when > 0.
        height: image height in px, like `width`.
        field: the frame's name in error messages, e.g. "frame[index=12]".

    Returns:
        (height, width, 3) uint8 RGB image.

    Raises:
        InvalidInputError: no image, zero size, undecodable bytes, raw length not
            width * height * 3, or a declared size not matching the encoded image.
    """
    if raw_bgr is not None:
        if width <= 0 or height <= 0:
            raise InvalidInputError(f"{field}.width/height", (width, height), "> 0 with raw_bgr")
        expected = width * height * 3
        if len(raw_bgr) != expected:
            raise InvalidInputError(
                f"{field}.raw_bgr", f"{len(raw_bgr)} bytes",
                f"width*height*3 = {width}*{height}*3 = {expected} bytes (BGR24)",
            )
        bgr = np.frombuffer(raw_bgr, dtype=np.uint8).reshape(height, width, 3)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if not encoded:
        raise InvalidInputError(f"{field}.image", "empty", "encoded (JPEG/PNG) or raw_bgr bytes")
    img = cv2.imdecode(np.frombuffer(encoded, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise InvalidInputError(
            f"{field}.encoded", f"{len(encoded)} bytes {bytes(encoded[:8])!r}", "JPEG or PNG bytes"
        )
    rgb = _to_rgb8(img, field)
    h, w = rgb.shape[:2]
    if (width > 0 and width != w) or (height > 0 and height != h):
        raise InvalidInputError(
            f"{field}.width/height", (width, height), f"the encoded image's size ({w}, {h})"
        )
    return rgb
