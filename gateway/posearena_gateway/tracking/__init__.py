"""Person tracks for every 2D estimator, one module per job (imported from the module, so
that a command needing one of them does not pay for the others' imports: the tracker's
assignment needs scipy.optimize, ~0.4 s):

- `tracker`: frame-to-frame association of the people of a video (FramePeople, track_people);
- `assemble`: tracks as arrays, the best ones kept (assemble_tracks, track_detections, ...);
- `patient`: which track is the patient (RULES, choose_person, put_first, summarize_tracks);
- `leftright`: single-view left/right label repair.
"""
