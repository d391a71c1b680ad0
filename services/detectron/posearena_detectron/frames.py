"""Frame bytes (JPEG/PNG file bytes or raw BGR) -> RGB images, with named errors; no gRPC.

Decoding and the size checks are `posearena.service.frames`; this module adds the conversion
to 8-bit RGB: grayscale images are replicated to three channels, an alpha channel is dropped
and 16-bit PNGs are scaled to 8 bits (value / 257), so that any ordinary image works;
everything else is refused with the frame and field named.
"""

from __future__ import annotations

import cv2
import numpy as np

from posearena.errors import InvalidInputError
from posearena.service.frames import ACCEPTED_INPUTS, decode_frame, decode_image
from posearena.v1 import pose_pb2

__all__ = ["ACCEPTED_INPUTS", "decode_frame_rgb", "decode_rgb", "to_rgb8"]


def to_rgb8(img: np.ndarray, field: str) -> np.ndarray:
    """Any decoded OpenCV image -> RGB.

    Args:
        img: (H, W) gray, (H, W, 1) gray, (H, W, 3) BGR or (H, W, 4) BGRA; uint8 or uint16.
        field: the frame's name in error messages.

    Returns:
        (H, W, 3) uint8 RGB.

    Raises:
        InvalidInputError: another pixel type or channel count.
    """
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
    return decode_image(encoded, raw_bgr, width, height, field, convert=to_rgb8, unchanged=True)


def decode_frame_rgb(frame: pose_pb2.Frame) -> np.ndarray:
    """A Pose API Frame's image as (height, width, 3) uint8 RGB; errors as `decode_rgb`,
    naming the frame "frame[index=<index>]"."""
    return decode_frame(frame, convert=to_rgb8, unchanged=True)
