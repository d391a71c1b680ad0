"""posearena stereo / multi-view triangulation service (numerics + a thin gRPC servicer)."""

__version__ = "0.1.0"
