"""posearena common package: what every service and the gateway share.

The Pose API (posearena.v1), the skeleton registry, the service base and array/npz I/O.
"""
