"""BlazePose's own frame check (one size per video-mode stream); decoding is
`posearena.service.frames`. No gRPC here."""

from __future__ import annotations

import numpy as np

from posearena.errors import InvalidInputError


def check_same_size(
    first: tuple[int, int] | None, image: np.ndarray, field: str
) -> tuple[int, int]:
    """Enforce one frame size per video-mode stream.

    Args:
        first: (width, height) px of the stream's first frame, or None for the first frame.
        image: (H, W, 3) the current frame.
        field: name of the frame in error messages.

    Returns:
        (width, height) of the stream.

    Raises:
        InvalidInputError: the size differs from the first frame's.
    """
    size = (int(image.shape[1]), int(image.shape[0]))
    if first is not None and size != first:
        raise InvalidInputError(
            f"{field}.width/height",
            size,
            f"the stream's frame size {first} (video mode tracks one video; "
            "use image_mode for mixed sizes)",
        )
    return size
