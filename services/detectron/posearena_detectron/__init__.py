"""posearena Keypoint R-CNN service: torchvision, Detectron2 and Detectron (v1) weights."""
