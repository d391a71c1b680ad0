"""posearena."""
