"""Pipelines: detector -> lifter, detector x2 -> stereo, detector xN -> multi-view, world."""

from posearena_gateway.pipelines.catalog import PIPELINES, PipelineSpec, parse_pipelines

__all__ = ["PIPELINES", "PipelineSpec", "parse_pipelines"]
