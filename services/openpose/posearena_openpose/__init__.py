"""posearena OpenPose service: BODY_25 / COCO-18 Caffe models through OpenCV DNN, with
OpenPose's multi-person part-affinity-field grouping (`parsing`)."""
