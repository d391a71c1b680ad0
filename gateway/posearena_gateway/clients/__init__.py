"""Thin Pose API clients: numpy in, numpy out, one RPC each. Only gRPC reaches a service."""
