"""Joint tables of the image-based keypoint skeletons: COCO-17, OpenPose BODY_25 / COCO-18,
MediaPipe BlazePose-33 and Human3.6M-17 (VideoPose3D order).

Rows are (joint, parent joint or None, canonical name); see `skeleton.SkeletonTable`. Parents
of COCO-17 and BlazePose-33 form a drawing tree chosen here (neither format defines one).
"""

from __future__ import annotations

from posearena.skeletons.skeleton import SkeletonTable

_SNAKE = (("prefix", "left_", "right_"), ("suffix", "_left", "_right"))
_LR = (("prefix", "L", "R"),)


def _mid(*joints: str) -> tuple[tuple[str, float], ...]:
    """Equal-weight mean of the given joints."""
    return tuple((j, 1.0 / len(joints)) for j in joints)


_NOSE_AS_NECK_NOSE = (
    "Human3.6M 'neck/nose' estimated by the nose keypoint (the usual COCO -> H36M convention); "
    "expect a few cm of offset"
)
_EARS_AS_HEAD = "head centre estimated as the midpoint of the ears"
_SHOULDERS_AS_THORAX = (
    "thorax estimated as the shoulder midpoint (OpenPose 'Neck' definition); Human3.6M and "
    "Kinect place it a few cm lower/behind"
)

COCO17 = SkeletonTable(
    name="coco17",
    description="MS-COCO 17 person keypoints (nose, eyes, ears, shoulders ... ankles), 2D px",
    rows=(
        ("nose", None, "nose"),
        ("left_eye", "nose", "left_eye"),
        ("right_eye", "nose", "right_eye"),
        ("left_ear", "left_eye", "left_ear"),
        ("right_ear", "right_eye", "right_ear"),
        ("left_shoulder", "nose", "left_shoulder"),
        ("right_shoulder", "nose", "right_shoulder"),
        ("left_elbow", "left_shoulder", "left_elbow"),
        ("right_elbow", "right_shoulder", "right_elbow"),
        ("left_wrist", "left_elbow", "left_wrist"),
        ("right_wrist", "right_elbow", "right_wrist"),
        ("left_hip", "left_shoulder", "left_hip"),
        ("right_hip", "right_shoulder", "right_hip"),
        ("left_knee", "left_hip", "left_knee"),
        ("right_knee", "right_hip", "right_knee"),
        ("left_ankle", "left_knee", "left_ankle"),
        ("right_ankle", "right_knee", "right_ankle"),
    ),
    mirror=_SNAKE,
    derived={
        "pelvis": _mid("left_hip", "right_hip"),
        "thorax": _mid("left_shoulder", "right_shoulder"),
        "spine": _mid("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
        "neck_nose": (("nose", 1.0),),
        "head": _mid("left_ear", "right_ear"),
    },
    notes={"thorax": _SHOULDERS_AS_THORAX, "neck_nose": _NOSE_AS_NECK_NOSE, "head": _EARS_AS_HEAD},
)

BODY25 = SkeletonTable(
    name="body25",
    description="OpenPose BODY_25 (COCO-18 order plus MidHip at 8 and six foot points), 2D px",
    rows=(
        ("Nose", "Neck", "nose"),
        ("Neck", "MidHip", "thorax"),
        ("RShoulder", "Neck", "right_shoulder"),
        ("RElbow", "RShoulder", "right_elbow"),
        ("RWrist", "RElbow", "right_wrist"),
        ("LShoulder", "Neck", "left_shoulder"),
        ("LElbow", "LShoulder", "left_elbow"),
        ("LWrist", "LElbow", "left_wrist"),
        ("MidHip", None, "pelvis"),
        ("RHip", "MidHip", "right_hip"),
        ("RKnee", "RHip", "right_knee"),
        ("RAnkle", "RKnee", "right_ankle"),
        ("LHip", "MidHip", "left_hip"),
        ("LKnee", "LHip", "left_knee"),
        ("LAnkle", "LKnee", "left_ankle"),
        ("REye", "Nose", "right_eye"),
        ("LEye", "Nose", "left_eye"),
        ("REar", "REye", "right_ear"),
        ("LEar", "LEye", "left_ear"),
        ("LBigToe", "LAnkle", "left_big_toe"),
        ("LSmallToe", "LBigToe", "left_small_toe"),
        ("LHeel", "LAnkle", "left_heel"),
        ("RBigToe", "RAnkle", "right_big_toe"),
        ("RSmallToe", "RBigToe", "right_small_toe"),
        ("RHeel", "RAnkle", "right_heel"),
    ),
    mirror=_LR,
    derived={
        "spine": _mid("Neck", "MidHip"),
        "neck_nose": (("Nose", 1.0),),
        "head": _mid("LEar", "REar"),
    },
    notes={
        "thorax": "OpenPose 'Neck' is the shoulder midpoint, used as the thorax",
        "pelvis": "OpenPose 'MidHip' is the midpoint of the hip keypoints",
        "neck_nose": _NOSE_AS_NECK_NOSE,
        "head": _EARS_AS_HEAD,
    },
)

COCO18 = SkeletonTable(
    name="coco18",
    description="OpenPose COCO-18: BODY_25 without MidHip and the feet, 2D px",
    rows=(
        ("Nose", "Neck", "nose"),
        ("Neck", None, "thorax"),
        ("RShoulder", "Neck", "right_shoulder"),
        ("RElbow", "RShoulder", "right_elbow"),
        ("RWrist", "RElbow", "right_wrist"),
        ("LShoulder", "Neck", "left_shoulder"),
        ("LElbow", "LShoulder", "left_elbow"),
        ("LWrist", "LElbow", "left_wrist"),
        ("RHip", "Neck", "right_hip"),
        ("RKnee", "RHip", "right_knee"),
        ("RAnkle", "RKnee", "right_ankle"),
        ("LHip", "Neck", "left_hip"),
        ("LKnee", "LHip", "left_knee"),
        ("LAnkle", "LKnee", "left_ankle"),
        ("REye", "Nose", "right_eye"),
        ("LEye", "Nose", "left_eye"),
        ("REar", "REye", "right_ear"),
        ("LEar", "LEye", "left_ear"),
    ),
    mirror=_LR,
    derived={
        "pelvis": _mid("LHip", "RHip"),
        "spine": (("Neck", 0.5), ("LHip", 0.25), ("RHip", 0.25)),
        "neck_nose": (("Nose", 1.0),),
        "head": _mid("LEar", "REar"),
    },
    notes={
        "thorax": "OpenPose 'Neck' is the shoulder midpoint, used as the thorax",
        "neck_nose": _NOSE_AS_NECK_NOSE,
        "head": _EARS_AS_HEAD,
    },
)

H36M17 = SkeletonTable(
    name="h36m17",
    description="Human3.6M 17 joints in VideoPose3D order (3D joint centres, or 2D px)",
    rows=(
        ("hip", None, "pelvis"),
        ("right_hip", "hip", "right_hip"),
        ("right_knee", "right_hip", "right_knee"),
        ("right_foot", "right_knee", "right_ankle"),
        ("left_hip", "hip", "left_hip"),
        ("left_knee", "left_hip", "left_knee"),
        ("left_foot", "left_knee", "left_ankle"),
        ("spine", "hip", "spine"),
        ("thorax", "spine", "thorax"),
        ("neck_nose", "thorax", "neck_nose"),
        ("head", "neck_nose", "head"),
        ("left_shoulder", "thorax", "left_shoulder"),
        ("left_elbow", "left_shoulder", "left_elbow"),
        ("left_wrist", "left_elbow", "left_wrist"),
        ("right_shoulder", "thorax", "right_shoulder"),
        ("right_elbow", "right_shoulder", "right_elbow"),
        ("right_wrist", "right_elbow", "right_wrist"),
    ),
    mirror=_SNAKE,
    derived={"nose": (("neck_nose", 1.0),)},
    notes={
        "left_ankle": "Human3.6M calls the ankle joint 'foot'",
        "right_ankle": "Human3.6M calls the ankle joint 'foot'",
        "head": "Human3.6M 'head' lies between the head centre and the crown",
        "nose": "nose estimated by the Human3.6M 'neck/nose' joint (a few cm behind/below it)",
    },
)

BLAZEPOSE33 = SkeletonTable(
    name="blazepose33",
    description="MediaPipe Pose (BlazePose) 33 landmarks, order 0..32 of PoseLandmark",
    rows=(
        ("nose", None, "nose"),
        ("left_eye_inner", "nose", "left_eye_inner"),
        ("left_eye", "left_eye_inner", "left_eye"),
        ("left_eye_outer", "left_eye", "left_eye_outer"),
        ("right_eye_inner", "nose", "right_eye_inner"),
        ("right_eye", "right_eye_inner", "right_eye"),
        ("right_eye_outer", "right_eye", "right_eye_outer"),
        ("left_ear", "left_eye_outer", "left_ear"),
        ("right_ear", "right_eye_outer", "right_ear"),
        ("mouth_left", "nose", "left_mouth"),
        ("mouth_right", "nose", "right_mouth"),
        ("left_shoulder", "nose", "left_shoulder"),
        ("right_shoulder", "nose", "right_shoulder"),
        ("left_elbow", "left_shoulder", "left_elbow"),
        ("right_elbow", "right_shoulder", "right_elbow"),
        ("left_wrist", "left_elbow", "left_wrist"),
        ("right_wrist", "right_elbow", "right_wrist"),
        ("left_pinky", "left_wrist", "left_pinky_knuckle"),
        ("right_pinky", "right_wrist", "right_pinky_knuckle"),
        ("left_index", "left_wrist", "left_index_knuckle"),
        ("right_index", "right_wrist", "right_index_knuckle"),
        ("left_thumb", "left_wrist", "left_thumb_knuckle"),
        ("right_thumb", "right_wrist", "right_thumb_knuckle"),
        ("left_hip", "left_shoulder", "left_hip"),
        ("right_hip", "right_shoulder", "right_hip"),
        ("left_knee", "left_hip", "left_knee"),
        ("right_knee", "right_hip", "right_knee"),
        ("left_ankle", "left_knee", "left_ankle"),
        ("right_ankle", "right_knee", "right_ankle"),
        ("left_heel", "left_ankle", "left_heel"),
        ("right_heel", "right_ankle", "right_heel"),
        ("left_foot_index", "left_ankle", "left_big_toe"),
        ("right_foot_index", "right_ankle", "right_big_toe"),
    ),
    mirror=_SNAKE,
    derived={
        "pelvis": _mid("left_hip", "right_hip"),
        "thorax": _mid("left_shoulder", "right_shoulder"),
        "spine": _mid("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
        "neck_nose": (("nose", 1.0),),
        "head": _mid("left_ear", "right_ear"),
        "left_hand": _mid("left_wrist", "left_pinky", "left_index"),
        "right_hand": _mid("right_wrist", "right_pinky", "right_index"),
    },
    notes={
        "thorax": _SHOULDERS_AS_THORAX,
        "neck_nose": _NOSE_AS_NECK_NOSE,
        "head": _EARS_AS_HEAD,
        "left_big_toe": "BlazePose 'foot_index' (tip of the foot) compared with the big toe",
        "right_big_toe": "BlazePose 'foot_index' (tip of the foot) compared with the big toe",
        "left_hand": "hand centre estimated as the mean of wrist, pinky and index knuckles",
        "right_hand": "hand centre estimated as the mean of wrist, pinky and index knuckles",
    },
)

IMAGE_TABLES: tuple[SkeletonTable, ...] = (COCO17, BODY25, COCO18, H36M17, BLAZEPOSE33)
