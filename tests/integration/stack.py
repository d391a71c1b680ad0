"""Compose stack harness for the integration tests: daemon, images, pre-flight checks, up/down.

Everything runs with host networking on 127.0.0.1 (`docker-compose -f compose.yaml -f
compose.host.yaml`, exactly as documented for users). Pre-flight
checks (images present, ports free) fail before any container starts, with a message naming
the service, the value and the environment variable to change.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
COMPOSE_FILES = (REPO / "compose.yaml", REPO / "compose.host.yaml")
DEFAULT_PORTS = {"gateway": 50150, "blazepose": 50151, "stereo": 50152, "videopose3d": 50153,
                 "openpose": 50154, "detectron": 50155}
# the gateway's compose dependencies (detectron is opt-in: profile "detectron")
GATEWAY_DEPENDS_ON = ["stereo", "videopose3d", "blazepose", "openpose"]


# seconds spent in each phase, printed at the end of the run (conftest.pytest_terminal_summary);
# here rather than in conftest, whose module pytest imports apart from the tests' imports
TIMES: dict[str, float] = {}


class StackError(RuntimeError):
    """A pre-flight check or a compose step failed; the message says what and how to fix it."""


def _run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 600,
         check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise StackError(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}):\n{tail}")
    return proc


def daemon_running() -> bool:
    """True when the private daemon (docker/dockerd.sh) is up and answering."""
    return _run(["bash", str(DOCKER_DIR / "dockerd.sh"), "status"], check=False).returncode == 0


def stop_daemon() -> None:
    """Stop the private daemon by its pid file (docker/dockerd.sh stop)."""
    _run(["bash", str(DOCKER_DIR / "dockerd.sh"), "stop"], check=False, timeout=120)


def ensure_daemon() -> str:
    """Install docker if absent and start the private daemon (docker/dockerd.sh start).

    Returns:
        The DOCKER_HOST value ("unix:///.../docker.sock"), also set in os.environ.
    """
    out = _run(["bash", str(DOCKER_DIR / "dockerd.sh"), "start"], timeout=900).stdout
    lines = [ln for ln in out.splitlines() if ln.startswith("export DOCKER_HOST=")]
    if not lines:
        raise StackError(f"dockerd.sh start printed no DOCKER_HOST: {out!r}")
    host = lines[-1].split("=", 1)[1]
    os.environ["DOCKER_HOST"] = host
    return host


def build_images(names: list[str]) -> float:
    """Build the images with docker/build_images.sh (cached); return the seconds it took."""
    start = time.monotonic()
    _run(["bash", str(DOCKER_DIR / "build_images.sh"), *names], timeout=3000)
    return time.monotonic() - start


def image_var(service: str) -> str:
    """Name of the environment variable that selects `service`'s image."""
    return f"POSEARENA_{service.upper()}_IMAGE"


def port_var(service: str) -> str:
    """Name of the environment variable that selects `service`'s port."""
    return f"POSEARENA_{service.upper()}_PORT"


def image_of(service: str, env: dict[str, str]) -> str:
    """The image compose.yaml will run for `service` under `env` (its default otherwise)."""
    return env.get(image_var(service)) or f"posearena/{service}:latest"


def port_of(service: str, env: dict[str, str]) -> int:
    """The port `service` listens on under `env` (compose.yaml's default otherwise)."""
    return int(env.get(port_var(service)) or DEFAULT_PORTS[service])


def check_images(services: list[str], env: dict[str, str]) -> None:
    """Raise StackError naming every service whose image is not present locally.

    Nothing can be pulled here, and compose would otherwise try to pull and fail late.
    """
    missing = []
    for s in services:
        image = image_of(s, env)
        if _run(["docker", "image", "inspect", image], check=False).returncode != 0:
            missing.append(f"{s}: image {image!r} not found locally ({image_var(s)}); "
                           "build it with docker/build_images.sh or fix the name/tag")
    if missing:
        raise StackError("; ".join(missing))


def check_ports_free(services: list[str], env: dict[str, str]) -> None:
    """Raise StackError naming every service whose 127.0.0.1 port is already taken."""
    busy = []
    for s in services:
        port = port_of(s, env)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as exc:
                busy.append(f"{s}: port 127.0.0.1:{port} already in use ({exc.strerror}); "
                            f"stop what listens there or set {port_var(s)}")
    if busy:
        raise StackError("; ".join(busy))


def compose_config(env: dict[str, str], files: tuple[Path, ...] = COMPOSE_FILES,
                   profiles: tuple[str, ...] = ()) -> dict:
    """The merged compose configuration as docker-compose itself renders it (`config`).

    Args:
        env: environment the variables in the files are taken from.
        files: compose files, merged in order; () = none given, so docker-compose picks
            compose.yaml + compose.override.yaml in the repository root itself.
        profiles: compose profiles to enable (e.g. "detectron").

    Returns:
        The parsed config ({"services": {...}, ...}); docker-compose's output is YAML, parsed
        with docker-compose's own interpreter (which has PyYAML).
    """
    args = [a for f in files for a in ("-f", str(f))]
    args += [a for p in profiles for a in ("--profile", p)]
    merged = _run(["docker-compose", *args, "config"], env=env, cwd=REPO).stdout
    compose = shutil.which("docker-compose") or "docker-compose"
    shebang = Path(compose).read_bytes()[:200].split(b"\n", 1)[0].decode(errors="replace")
    if not shebang.startswith("#!"):
        raise StackError(f"{compose} is not a Python script; cannot parse its config output")
    py = shebang[2:].strip().split()
    to_json = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
    proc = subprocess.run([*py, "-c", to_json], input=merged, capture_output=True, text=True)
    if proc.returncode != 0:
        raise StackError(f"cannot parse docker-compose config: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


@dataclass
class ServiceState:
    """One container as `docker inspect` sees it."""

    service: str
    status: str  # running, exited, ...
    health: str  # healthy, unhealthy, starting, none
    exit_code: int

    def describe(self) -> str:
        return f"{self.service}: {self.status} (exit {self.exit_code}, health {self.health})"


class Stack:
    """A compose project on host networking; `down()` removes everything it started."""

    def __init__(self, project: str, env_overrides: dict[str, str] | None = None) -> None:
        self.project = project
        self.env = {**os.environ, **(env_overrides or {})}
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{project}-"))
        self.runs = self.tmp / "runs"
        self.runs.mkdir()
        self.runs.chmod(0o777)  # the gateway writes as uid 10001
        self.env.setdefault("POSEARENA_RUNS_DIR", str(self.runs))

    def empty_dir(self, name: str) -> Path:
        """A new empty folder under this stack's temporary directory (e.g. a models volume
        without weights), readable by the containers' uid 10001."""
        path = self.tmp / name
        path.mkdir()
        path.chmod(0o755)
        return path

    def compose(self, *args: str, timeout: float = 600, check: bool = True
                ) -> subprocess.CompletedProcess:
        """Run `docker-compose -p PROJECT -f compose.yaml -f compose.host.yaml ARGS...`."""
        files = [a for f in COMPOSE_FILES for a in ("-f", str(f))]
        cmd = ["docker-compose", "-p", self.project, *files, *args]
        return _run(cmd, env=self.env, timeout=timeout, check=check)

    def up(self, services: list[str], deps: bool = False) -> None:
        """Pre-flight checks (images present, ports free), then `up -d` of `services`.

        With `deps`, compose also starts their dependencies and waits, as `depends_on:
        condition: service_healthy` says, until those are healthy (the gateway's case);
        `services` must then list the dependencies too, for the pre-flight checks.
        """
        check_images(services, self.env)
        check_ports_free(services, self.env)
        self.compose("up", "-d", "--no-build", *([] if deps else ["--no-deps"]), *services,
                     timeout=900)

    def states(self) -> dict[str, ServiceState]:
        """State of every container of this project (also stopped ones), by service name."""
        ids = self.compose("ps", "-a", "-q").stdout.split()
        if not ids:
            return {}
        data = json.loads(_run(["docker", "inspect", *ids]).stdout)
        result = {}
        for c in data:
            name = c["Config"]["Labels"].get("com.docker.compose.service", c["Name"])
            st = c["State"]
            health = st.get("Health", {}).get("Status", "none")
            result[name] = ServiceState(name, st["Status"], health, st["ExitCode"])
        return result

    def failures(self, services: list[str]) -> list[str]:
        """Services among `services` whose container is not running, described with logs."""
        states = self.states()
        bad = []
        for s in services:
            st = states.get(s)
            if st is None:
                bad.append(f"{s}: no container")
            elif st.status != "running":
                bad.append(f"{st.describe()}; last log lines:\n{self.logs(s, 5)}")
        return bad

    def wait_healthy(self, services: list[str], timeout_s: float = 180) -> float:
        """Wait until every service is healthy; return seconds waited.

        Raises StackError at once when a container exits or turns unhealthy, naming it.
        """
        start = time.monotonic()
        while True:
            states = self.states()
            dead = self.failures(services)
            if dead:
                raise StackError("container stopped while starting: " + "; ".join(dead))
            sick = [states[s].describe() for s in services if states[s].health == "unhealthy"]
            if sick:
                raise StackError("unhealthy: " + "; ".join(sick))
            if all(states[s].health == "healthy" for s in services):
                return time.monotonic() - start
            if time.monotonic() - start > timeout_s:
                waiting = [states[s].describe() for s in services]
                raise StackError(f"not healthy after {timeout_s:.0f} s: " + "; ".join(waiting))
            time.sleep(1.0)

    def logs(self, service: str, lines: int = 20) -> str:
        """Last `lines` lines of `service`'s container output."""
        out = self.compose("logs", "--no-color", f"--tail={lines}", service, check=False)
        return (out.stdout + out.stderr).strip()

    def down(self) -> None:
        """Stop and remove the project's containers and networks (also after failures)."""
        self.compose("down", "--remove-orphans", "-t", "5", check=False, timeout=120)
        shutil.rmtree(self.tmp, ignore_errors=True)
