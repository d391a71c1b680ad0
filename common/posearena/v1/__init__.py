"""Generated Pose API code (posearena.v1). Produced by `make protos`; never edited by hand."""
