"""2D detection through the Pose API `Detect` stream: frames out, people back, tracks made."""

from posearena_gateway.detection.client import DetectionInterrupted, detect_video

__all__ = ["DetectionInterrupted", "detect_video"]
