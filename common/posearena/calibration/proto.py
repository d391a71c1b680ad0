"""Camera <-> Pose API ``pose_pb2.Camera`` message."""

from __future__ import annotations

import numpy as np

from posearena.calibration.camera import Camera
from posearena.errors import InvalidInputError
from posearena.v1 import pose_pb2


def camera_to_proto(camera: Camera) -> pose_pb2.Camera:
    """Camera -> message (K, R row-major; t in m; distortion k1 k2 p1 p2 [k3])."""
    return pose_pb2.Camera(
        name=camera.name,
        width=camera.width,
        height=camera.height,
        matrix=camera.K.ravel().tolist(),
        distortion=camera.dist.tolist(),
        rotation=camera.R.ravel().tolist(),
        translation=camera.t.tolist(),
    )


def camera_from_proto(msg: pose_pb2.Camera, field: str = "camera") -> Camera:
    """Message -> Camera, validated.

    Args:
        msg: the message; matrix 9 values, rotation 9, translation 3, distortion 0, 4 or 5.
        field: its field path for error messages, e.g. "cameras[2]".

    Raises:
        InvalidInputError: wrong lengths, non-finite values, singular K, non-rotation R.
    """
    for key, n in (("matrix", (9,)), ("rotation", (9,)), ("translation", (3,)),
                   ("distortion", (0, 4, 5))):
        got = len(getattr(msg, key))
        if got not in n:
            raise InvalidInputError(f"{field}.{key}", f"{got} values",
                                    " or ".join(str(v) for v in n) + " values")
    try:
        return Camera(
            name=msg.name,
            width=int(msg.width),
            height=int(msg.height),
            K=np.array(msg.matrix, dtype=np.float64).reshape(3, 3),
            dist=np.array(msg.distortion, dtype=np.float64),
            R=np.array(msg.rotation, dtype=np.float64).reshape(3, 3),
            t=np.array(msg.translation, dtype=np.float64),
        )
    except InvalidInputError as exc:
        sub = exc.field.split(".")[-1]
        raise InvalidInputError(f"{field}.{sub}", exc.value, exc.expected) from None
