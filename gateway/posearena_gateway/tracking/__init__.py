"""Person tracks for every 2D estimator: tracking, keeping the best tracks, the patient."""

from posearena_gateway.tracking.assemble import (
    TrackSlots,
    assemble_tracks,
    keep_best_tracks,
    track_detections,
    track_quality,
    tracks_to_arrays,
)
from posearena_gateway.tracking.patient import (
    RULES,
    TrackSummary,
    choose_person,
    put_first,
    summarize_tracks,
)
from posearena_gateway.tracking.tracker import FramePeople, track_people

__all__ = [
    "RULES",
    "FramePeople",
    "TrackSlots",
    "TrackSummary",
    "assemble_tracks",
    "choose_person",
    "keep_best_tracks",
    "put_first",
    "summarize_tracks",
    "track_detections",
    "track_people",
    "track_quality",
    "tracks_to_arrays",
]
