"""Generate the Pose API's Python code from protos/ into common/posearena/.

Inputs: protos/posearena/v1/*.proto. Outputs: common/posearena/v1/*_pb2.py, *_pb2.pyi and
*_pb2_grpc.py (git-ignored; never edited by hand). Run with an interpreter that has
grpcio-tools (see tools/protoc-requirements.txt); `make protos` does that.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
OUT = ROOT / "common"


def main() -> int:
    """Run protoc on every .proto under protos/; return its exit status."""
    from grpc_tools import protoc  # imported here so --help works without grpcio-tools

    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    if not protos:
        print(f"no .proto files under {PROTO_ROOT}", file=sys.stderr)
        return 1
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"--python_out={OUT}",
        f"--pyi_out={OUT}",
        f"--grpc_python_out={OUT}",
        *protos,
    ]
    status = protoc.main(args)
    if status == 0:
        print(f"generated {len(protos)} proto file(s) into {OUT / 'posearena'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
