"""Frame bytes of the Pose API (JPEG/PNG file bytes or raw BGR) -> images, with named errors.

Shared by the image services (BlazePose, OpenPose, Keypoint R-CNN). OpenCV is imported inside
the functions: the common package does not depend on it, every image service's environment
has it. No gRPC here: bad input raises `InvalidInputError` naming the frame and the field.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from posearena.errors import InvalidInputError
from posearena.v1 import pose_pb2

#: What `EstimatorInfo.accepted_inputs` lists for a service decoding frames with this module.
ACCEPTED_INPUTS: tuple[str, ...] = ("image/jpeg", "image/png", "raw/bgr24")

#: Turns a decoded image into the service's format: (image, field) -> image of the same size.
Convert = Callable[[np.ndarray, str], np.ndarray]


def frame_field(frame: pose_pb2.Frame) -> str:
    """The frame's name in error messages: "frame[index=<Frame.index>]"."""
    return f"frame[index={frame.index}]"


def raw_bgr_image(raw_bgr: bytes, width: int, height: int, field: str) -> np.ndarray:
    """View raw BGR24 bytes as an image, checking the declared size and the byte length.

    Args:
        raw_bgr: height * width * 3 bytes, BGR, row-major.
        width: image width in px (> 0).
        height: image height in px (> 0).
        field: the frame's name in error messages, e.g. "frame[index=12]".

    Returns:
        (height, width, 3) uint8 BGR image (a read-only view of the bytes).

    Raises:
        InvalidInputError: width or height not > 0, or the length not width * height * 3.
    """
    if width <= 0 or height <= 0:
        raise InvalidInputError(f"{field}.width/height", (width, height), "> 0 with raw_bgr")
    expected = width * height * 3
    if len(raw_bgr) != expected:
        raise InvalidInputError(
            f"{field}.raw_bgr", f"{len(raw_bgr)} bytes",
            f"width*height*3 = {width}*{height}*3 = {expected} bytes (BGR24)",
        )
    return np.frombuffer(raw_bgr, dtype=np.uint8).reshape(height, width, 3)


def decode_encoded(encoded: bytes | None, field: str, unchanged: bool = False) -> np.ndarray:
    """Decode JPEG or PNG file bytes with OpenCV.

    Args:
        encoded: the file bytes.
        field: the frame's name in error messages.
        unchanged: False: always (H, W, 3) uint8 BGR (cv2.IMREAD_COLOR); True: the image as
            stored (cv2.IMREAD_UNCHANGED: gray (H, W), BGRA (H, W, 4), 16-bit kept).

    Returns:
        the decoded image, (H, W, 3) uint8 BGR unless `unchanged`.

    Raises:
        InvalidInputError: no bytes, or bytes OpenCV cannot decode into a non-empty image.
    """
    import cv2

    if not encoded:
        raise InvalidInputError(f"{field}.image", "empty", "encoded (JPEG/PNG) or raw_bgr bytes")
    flag = cv2.IMREAD_UNCHANGED if unchanged else cv2.IMREAD_COLOR
    img = cv2.imdecode(np.frombuffer(encoded, dtype=np.uint8), flag)
    if img is None or img.size == 0 or (not unchanged and img.ndim != 3):
        raise InvalidInputError(
            f"{field}.encoded", f"{len(encoded)} bytes {bytes(encoded[:8])!r}", "JPEG or PNG bytes"
        )
    return img


def check_declared_size(image: np.ndarray, width: int, height: int, field: str) -> None:
    """Check a frame's declared width/height (0 = not declared) against its decoded image.

    Args:
        image: (H, W, ...) decoded image.
        width: declared width in px, 0 when not given.
        height: declared height in px, 0 when not given.
        field: the frame's name in error messages.

    Raises:
        InvalidInputError: a declared size differing from the image's.
    """
    h, w = image.shape[:2]
    if (width > 0 and width != w) or (height > 0 and height != h):
        raise InvalidInputError(
            f"{field}.width/height", (width, height), f"the encoded image's size ({w}, {h})"
        )


def decode_image(
    encoded: bytes | None,
    raw_bgr: bytes | None,
    width: int,
    height: int,
    field: str,
    convert: Convert | None = None,
    unchanged: bool = False,
) -> np.ndarray:
    """Decode one frame's bytes into an image (BGR unless `convert` says otherwise).

    Args:
        encoded: JPEG or PNG file bytes, or None.
        raw_bgr: height * width * 3 bytes (BGR, row-major), or None. When given it is used and
            `encoded` is ignored.
        width: image width in px; required (> 0) with raw_bgr, checked against encoded
            images when > 0.
        height: image height in px, like `width`.
        field: the frame's name in error messages, e.g. "frame[index=12]".
        convert: applied to the (H, W, 3) BGR raw image or the decoded image before the
            size check (e.g. -> RGB); None keeps BGR.
        unchanged: decode encoded bytes as stored (see `decode_encoded`); `convert` must
            then bring every stored format to the service's.

    Returns:
        (height, width, 3) uint8 BGR image, or what `convert` returns.

    Raises:
        InvalidInputError: no image, undecodable bytes, raw length not width * height * 3,
            or a declared size not matching the encoded image (the field is named).
    """
    if raw_bgr is not None:
        img = raw_bgr_image(raw_bgr, width, height, field)
        return convert(img, field) if convert else img
    img = decode_encoded(encoded, field, unchanged)
    if convert:
        img = convert(img, field)
    check_declared_size(img, width, height, field)
    return img


def decode_frame(
    frame: pose_pb2.Frame, convert: Convert | None = None, unchanged: bool = False
) -> np.ndarray:
    """Decode a Pose API Frame's image (`encoded` or `raw_bgr`), naming it by its index.

    Args:
        frame: the Frame; its width/height (px) are checked as in `decode_image`.
        convert: see `decode_image`.
        unchanged: see `decode_image`.

    Returns:
        (height, width, 3) uint8 BGR image, or what `convert` returns.

    Raises:
        InvalidInputError: as `decode_image`, with the field "frame[index=<index>]...".
    """
    which = frame.WhichOneof("image")
    return decode_image(
        frame.encoded if which == "encoded" else None,
        frame.raw_bgr if which == "raw_bgr" else None,
        frame.width,
        frame.height,
        frame_field(frame),
        convert,
        unchanged,
    )

