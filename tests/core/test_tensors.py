"""Tensor messages: exact round trips and validation."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf.message import DecodeError

from posearena.errors import InvalidInputError
from posearena.tensors import (
    encoded_field,
    encoded_tensor,
    from_tensor,
    parse_leaving_data,
    to_tensor,
)
from posearena.v1 import pose_pb2


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
def test_round_trip_is_exact_through_serialisation(dtype):
    rng = np.random.default_rng(0)
    a = (rng.normal(size=(5, 3, 2)) * 100).astype(dtype)
    if a.dtype.kind == "f":
        a[1, 2, 0] = np.nan
    msg = pose_pb2.Tensor.FromString(to_tensor(a).SerializeToString())
    b = from_tensor(msg, "x")
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_bool_becomes_uint8_and_float16_float32():
    assert from_tensor(to_tensor(np.array([True, False])), "f").tolist() == [1, 0]
    assert from_tensor(to_tensor(np.ones(2, np.float16)), "h").dtype == np.float32


def test_empty_tensor_round_trips():
    b = from_tensor(to_tensor(np.zeros((0, 17, 2), np.float32)), "k", ndim=3, last_dim=2)
    assert b.shape == (0, 17, 2)


def test_validation_messages_name_field_and_expectation():
    t = to_tensor(np.zeros((4, 17, 3), np.float32))
    with pytest.raises(InvalidInputError, match=r"keypoints.shape.*last dimension 2"):
        from_tensor(t, "keypoints", last_dim=2)
    with pytest.raises(InvalidInputError, match=r"keypoints.shape.*2 dimensions"):
        from_tensor(t, "keypoints", ndim=2)
    t.data = t.data[:10]
    with pytest.raises(InvalidInputError, match=r"keypoints.data=.*10 bytes.*816 bytes"):
        from_tensor(t, "keypoints")
    with pytest.raises(InvalidInputError, match="dtype"):
        from_tensor(pose_pb2.Tensor(shape=[1], dtype=0, data=b"1234"), "x")


def test_long_values_keep_both_ends_in_messages():
    path = "/a/very/long/temporary/folder/" + "x" * 200 + "/the_file_name.npy"
    msg = str(InvalidInputError("--input", path, "a readable .npy"))
    assert "the_file_name.npy" in msg and "/a/very/long" in msg and len(msg) < 200


def test_shape_whose_element_count_overflows_int64_is_refused():
    """A shape with no data whose element count wraps to 0 in int64 must not pass."""
    t = pose_pb2.Tensor(shape=[2**21, 2**21, 2**21, 2], dtype=pose_pb2.Tensor.FLOAT32,
                        data=b"")  # 2**64 elements: 0 in int64
    with pytest.raises(InvalidInputError, match="data"):
        from_tensor(t, "keypoints")
    t = pose_pb2.Tensor(shape=[2**62, 4, 0], dtype=pose_pb2.Tensor.FLOAT32, data=b"")
    with pytest.raises(InvalidInputError, match="at most"):  # empty, but absurd
        from_tensor(t, "keypoints")
    t = pose_pb2.Tensor(shape=[3, 4, 0], dtype=pose_pb2.Tensor.FLOAT32, data=b"")
    assert from_tensor(t, "keypoints").shape == (3, 4, 0)


def test_without_copy_a_read_only_view_of_the_same_values():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = pose_pb2.Tensor.FromString(to_tensor(a).SerializeToString())
    view = from_tensor(t, "x", ndim=3, copy=False)
    assert np.array_equal(view, a) and view.dtype == np.float32 and not view.flags.writeable
    own = from_tensor(t, "x")
    own[0, 0, 0] = 7.0  # the default is the caller's own array
    assert own.flags.writeable and view[0, 0, 0] == 0.0


@pytest.mark.parametrize("arr", [
    np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    np.linspace(-1, 1, 30).reshape(5, 3, 2),  # float64
    np.arange(6, dtype=np.int64).reshape(3, 2),  # -> int32
    np.array([True, False, True]),  # -> uint8
    np.ones((2, 2), np.float16),  # -> float32
    np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2],  # not contiguous
    np.arange(6, dtype=">f8"),  # big-endian -> little-endian on the wire
    np.zeros((0, 17, 2), np.float32),  # no data field
    np.array(3.5),  # 0-d
])
def test_encoded_tensor_is_the_serialized_message_byte_for_byte(arr):
    expected = to_tensor(arr).SerializeToString()
    assert b"".join(encoded_tensor(arr)) == expected
    assert b"".join(encoded_tensor(arr, "float64")) == to_tensor(arr, "float64").SerializeToString()


def test_encoded_tensor_shares_the_arrays_memory():
    a = np.arange(1000, dtype=np.float32)
    data = encoded_tensor(a)[-1]
    assert isinstance(data, memoryview) and np.shares_memory(np.asarray(data), a)


def test_encoded_field_appends_a_submessage_and_a_repeated_element():
    inner = [pose_pb2.View(camera_id="c").SerializeToString(),
             *encoded_field(2, encoded_tensor(np.ones((300, 2), np.float32)))]  # length > 127
    wire = b"".join([*encoded_field(1, inner), *encoded_field(1, inner)])
    req = pose_pb2.TriangulateRequest.FromString(wire)
    assert [v.camera_id for v in req.views] == ["c", "c"]
    assert from_tensor(req.views[1].keypoints, "k").tolist() == np.ones((300, 2)).tolist()


def _response(**extra) -> pose_pb2.TriangulateResponse:
    rng = np.random.default_rng(2)
    return pose_pb2.TriangulateResponse(
        points_3d=to_tensor(rng.normal(size=(30, 17, 3))),
        reprojection_error=to_tensor(rng.uniform(0, 5, (30, 17)).astype(np.float32)),
        views_used=to_tensor(np.full((30, 17), 3, np.int32)),
        flags=to_tensor(np.zeros((0, 17), np.uint8)),  # present, no data field
        coordinate_frame="world", details={"mode": "multi-view", "x": "y"}, **extra)


def _unpacked(t: pose_pb2.Tensor, name: str, **kw) -> np.ndarray | str:
    try:
        return from_tensor(t, name, **kw)
    except InvalidInputError as exc:
        return str(exc)


FIELDS = ("points_3d", "reprojection_error", "views_used", "flags", "person_tracks")


@pytest.mark.parametrize("raw", [
    _response().SerializeToString(),
    _response(person_tracks=to_tensor(np.array([[0, -1], [1, 0]], np.int32))).SerializeToString(),
    pose_pb2.TriangulateResponse().SerializeToString(),  # nothing set
    # a field met twice: protobuf merges (shape appended, data replaced): the plain parse
    _response().SerializeToString() + pose_pb2.TriangulateResponse(
        points_3d=to_tensor(np.ones((2, 3)))).SerializeToString(),
])
def test_parse_leaving_data_unpacks_as_the_plain_parse(raw):
    plain = pose_pb2.TriangulateResponse.FromString(raw)
    msg, data = parse_leaving_data(raw, pose_pb2.TriangulateResponse, FIELDS)
    for name in FIELDS:
        assert msg.HasField(name) == plain.HasField(name)
        if plain.HasField(name):
            a = _unpacked(getattr(plain, name), name)
            b = _unpacked(getattr(msg, name), name, data=data.get(name))
            if isinstance(a, str):  # the merged shape does not fit the data: same message
                assert a == b
                continue
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
            assert b.flags.writeable
    assert msg.coordinate_frame == plain.coordinate_frame and msg.details == plain.details


def test_parse_leaving_data_leaves_the_bytes_in_place():
    raw = _response().SerializeToString()
    msg, data = parse_leaving_data(raw, pose_pb2.TriangulateResponse, FIELDS)
    assert msg.points_3d.data == b"" and list(msg.points_3d.shape) == [30, 17, 3]
    assert data["points_3d"].obj is raw and data["points_3d"].nbytes == 30 * 17 * 3 * 8
    assert "flags" not in data and "person_tracks" not in data  # no bytes to leave out


def test_parse_leaving_data_refuses_what_the_plain_parse_refuses():
    raw = _response().SerializeToString()
    for bad in (raw[:-3], raw[:200], b"\x0a\xff\xff\xff\xff\x0f"):
        with pytest.raises(DecodeError):
            pose_pb2.TriangulateResponse.FromString(bad)
        with pytest.raises(DecodeError):
            parse_leaving_data(bad, pose_pb2.TriangulateResponse, FIELDS)
    t = pose_pb2.TriangulateResponse(points_3d=pose_pb2.Tensor(shape=[2, 3], dtype=2,
                                                                data=b"\0" * 40))
    msg, data = parse_leaving_data(t.SerializeToString(), pose_pb2.TriangulateResponse, FIELDS)
    with pytest.raises(InvalidInputError, match=r"points_3d.data=.*40 bytes.*48 bytes"):
        from_tensor(msg.points_3d, "points_3d", data=data["points_3d"])
