"""Which files a remote client of the gateway service may name: reads under the data roots,
writes under the runs root, nothing else.

The gateway's gRPC `Compare` takes paths from whoever can reach its port. Each path a request
names is checked here before any work:

- no `..` component (even one that would stay inside a root);
- relative paths are taken under the first data root (inputs) or the runs root (out_dir);
- after resolving every symlink, the path lies inside a root (a link in a root that points
  outside is refused);
- an input must be an existing file.

Roots come from `--data-root` (repeatable) / `--runs-root` of `python -m
posearena_gateway.server`, else env POSEARENA_DATA_ROOTS (os.pathsep-separated) /
POSEARENA_RUNS_ROOT, else `./data` and `./runs` of the working directory. The image sets
/data and /runs, where compose and Kubernetes mount them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePath

from posearena.errors import PoseArenaError

DATA_ROOTS_ENV = "POSEARENA_DATA_ROOTS"
RUNS_ROOT_ENV = "POSEARENA_RUNS_ROOT"


class PathNotAllowedError(PoseArenaError):
    """A request names a path outside the roots this gateway serves (gRPC PERMISSION_DENIED)."""


@dataclass(frozen=True)
class PathRoots:
    """Readable data roots and the writable runs root, each an absolute resolved folder."""

    data: tuple[Path, ...]
    runs: Path

    @classmethod
    def configured(cls, data: list[str] | None = None, runs: str | None = None) -> PathRoots:
        """Roots from the given flags, else the environment, else ./data and ./runs."""
        env_data = [p for p in os.environ.get(DATA_ROOTS_ENV, "").split(os.pathsep) if p]
        data_dirs = data or env_data or ["data"]
        runs_dir = runs or os.environ.get(RUNS_ROOT_ENV) or "runs"
        return cls(tuple(Path(p).resolve() for p in data_dirs), Path(runs_dir).resolve())

    def describe(self) -> str:
        """"data roots [...], runs root ..." for messages and the startup line."""
        return f"data roots {[str(p) for p in self.data]}, runs root {self.runs}"

    def readable(self, field: str, path: str) -> Path:
        """An input file a request names, checked.

        Args:
            field: the request field, for the message (e.g. "videos[1]").
            path: as the client sent it (relative: under the first data root).

        Returns:
            The resolved path (symlinks followed), inside a data root.

        Raises:
            PathNotAllowedError: `..`, outside every data root, or a symlink leading out.
            (A missing file inside the roots is left to the input checks, which name it.)
        """
        resolved = self._resolve(field, path, self.data[0])
        if not any(_inside(resolved, root) for root in self.data):
            raise PathNotAllowedError(
                f"{field}={path!r}: expected a file under the gateway's {self.describe()} "
                f"(resolves to {resolved})")
        return resolved

    def writable(self, field: str, path: str) -> Path:
        """An output folder a request names, checked: inside the runs root (or the root)."""
        resolved = self._resolve(field, path, self.runs)
        if not _inside(resolved, self.runs):
            raise PathNotAllowedError(
                f"{field}={path!r}: expected a folder under the gateway's runs root "
                f"{self.runs} (resolves to {resolved})")
        return resolved

    @staticmethod
    def _resolve(field: str, path: str, base: Path) -> Path:
        if not path:
            raise PathNotAllowedError(f"{field}='': expected a path")
        if ".." in PurePath(path).parts:
            raise PathNotAllowedError(f"{field}={path!r}: expected a path without '..'")
        p = Path(path)
        return (p if p.is_absolute() else base / p).resolve()


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
