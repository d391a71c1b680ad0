"""Start, find and stop estimator services as local processes (embedded mode).

`posearena services up` starts every service detached on its default port and records it in
the state folder (env POSEARENA_STATE_DIR, default <repo>/.posearena/); `EmbeddedServices`
starts, for the length of one command, the services that are neither configured
(`POSEARENA_<NAME>_ADDR`) nor already up, on free ports, and stops them afterwards.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from posearena.service.lifetime import PARENT_PID_ENV
from posearena_gateway.runtime.catalog import REPO_ROOT, SERVICES, ServiceSpec, get_spec

LISTENING = re.compile(r"listening on (\S+):(\d+)")
#: Seconds between two reads of a starting service's log (its "listening on" line).
POLL_S = 0.01


def state_dir() -> Path:
    """Folder holding `<name>.json` (pid, target) and `<name>.log` of services that are up."""
    return Path(os.environ.get("POSEARENA_STATE_DIR", REPO_ROOT / ".posearena"))


@dataclass
class RunningService:
    """A service process this runtime started: its spec, process, address and log file."""

    spec: ServiceSpec
    process: subprocess.Popen
    target: str
    log_path: Path


class ServiceStartError(RuntimeError):
    """A service process exited or stayed silent; the message quotes its log's last lines."""


def start_service(
    spec: ServiceSpec, port: int, log_path: Path, extra_args: list[str] | None = None,
    timeout_s: float = 120.0, detach: bool = False,
) -> RunningService:
    """Start `spec` on 127.0.0.1:`port` (0 = any free port) and wait until it listens.

    Args:
        spec: the service.
        port: TCP port, 0 for an ephemeral one.
        log_path: file receiving the process's stdout and stderr.
        extra_args: the service's own flags (e.g. ["--checkpoint", path]).
        timeout_s: how long to wait for the "listening on" line.
        detach: start in a new session so it outlives this process (`services up`).

    Raises:
        ServiceStartError: the process exited or did not listen in time (log tail included).
    """
    launched = launch_service(spec, port, log_path, extra_args, detach)
    return wait_listening(launched, timeout_s)


@dataclass
class LaunchedService:
    """A service process started by `launch_service`, not yet known to listen."""

    spec: ServiceSpec
    process: subprocess.Popen
    log_path: Path
    cmd: list[str]


def launch_service(
    spec: ServiceSpec, port: int, log_path: Path, extra_args: list[str] | None = None,
    detach: bool = False,
) -> LaunchedService:
    """Start the process of `spec` (arguments as `start_service`) without waiting for it:
    several services then start at once and are waited for together (`wait_listening`)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop(PARENT_PID_ENV, None)
    if not detach:  # the child arms SIGTERM-on-our-death itself (see posearena.service.lifetime)
        env[PARENT_PID_ENV] = str(os.getpid())
    cmd = [spec.python(), "-m", spec.module, "--host", "127.0.0.1", "--port", str(port)]
    cmd += extra_args or []
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=detach, cwd=REPO_ROOT, env=env,
        )
    return LaunchedService(spec, proc, log_path, cmd)


def wait_listening(launched: LaunchedService, timeout_s: float = 120.0) -> RunningService:
    """Wait until a launched service prints its "listening on" line.

    Raises:
        ServiceStartError: the process exited or did not listen in time (its log's tail and
            command quoted); the process is stopped.
    """
    spec, proc, log_path = launched.spec, launched.process, launched.log_path
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        m = LISTENING.search(text)
        if m:
            return RunningService(spec, proc, f"127.0.0.1:{m.group(2)}", log_path)
        if proc.poll() is not None:
            break
        time.sleep(POLL_S)
    if proc.poll() is None:
        stop_process(proc)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-8:])
    raise ServiceStartError(
        f"{spec.name} did not start (exit code {proc.returncode}); `{' '.join(launched.cmd)}`; "
        f"log {log_path}:\n{tail}"
    )


def embedded_log_path(name: str, log_dir: Path | None = None) -> Path:
    """The log file of service `name` started by `EmbeddedServices` for this process."""
    return (log_dir or state_dir() / "logs") / f"{name}-{os.getpid()}.log"


#: Services started by `launch_ahead` that no `EmbeddedServices` has adopted yet, by name.
_AHEAD: dict[str, LaunchedService] = {}


def launch_ahead(names: Iterable[str]) -> None:
    """Start the processes of services a command is about to need, before it imports its own
    modules: their start-up (a second of imports for the stereo service) then overlaps the
    command's. The next `EmbeddedServices` of this process that would start one of them
    (same log file, no extra arguments for that service) takes it over instead; `stop_ahead`
    stops the others. A service already configured or up is not started, nor one that cannot
    be (its state file unreadable, no interpreter...): the command's own start meets that
    problem and reports it as it always did.
    """
    for name in names:
        try:
            if name not in _AHEAD and resolve_target(name) is None:
                _AHEAD[name] = launch_service(get_spec(name), 0, embedded_log_path(name))
        except Exception:  # only a head start: whatever failed here fails again, reported
            continue


def stop_ahead() -> None:
    """Stop the services of `launch_ahead` that no command took over."""
    while _AHEAD:
        stop_process(_AHEAD.popitem()[1].process)


def stop_process(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM, wait up to `grace_s`, then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def recorded_target(name: str) -> str | None:
    """Address of a service started by `services up` whose process is still alive."""
    path = state_dir() / f"{name}.json"
    if not path.exists():
        return None
    rec = json.loads(path.read_text())
    return rec["target"] if _pid_alive(int(rec["pid"])) else None


def resolve_target(name: str) -> str | None:
    """Where service `name` already runs: POSEARENA_<NAME>_ADDR, else `services up`, else None."""
    spec = get_spec(name)
    return spec.configured_address() or recorded_target(name)


def not_installed_message(spec: ServiceSpec) -> str | None:
    """"not installed: <why>; install it with `<command>`", or None when it can start."""
    why = spec.not_installed()
    return None if why is None else f"not installed: {why}; install it with `{spec.install}`"


def services_up(names: list[str], extra_args: dict[str, list[str]] | None = None) -> dict:
    """Start each named service detached on its default port.

    Returns:
        {name: "127.0.0.1:port", "already up at ...", "not installed: ...; install it with
        `make ...`" or "failed: <why>"}.
    """
    out: dict[str, str] = {}
    for name in names:
        spec = get_spec(name)
        existing = resolve_target(name)
        if existing:
            out[name] = f"already up at {existing}"
            continue
        missing = not_installed_message(spec)
        if missing:
            out[name] = missing
            continue
        try:
            rs = start_service(spec, spec.port, state_dir() / f"{name}.log",
                               (extra_args or {}).get(name), detach=True)
        except ServiceStartError as exc:
            out[name] = f"failed: {exc}"
            continue
        (state_dir() / f"{name}.json").write_text(
            json.dumps({"pid": rs.process.pid, "target": rs.target})
        )
        out[name] = rs.target
    return out


def services_down(names: list[str]) -> dict[str, str]:
    """Stop services started by `services up`; return {name: what happened}."""
    out = {}
    for name in names:
        path = state_dir() / f"{name}.json"
        if not path.exists():
            out[name] = "not started by `services up`"
            continue
        pid = int(json.loads(path.read_text())["pid"])
        if _pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not _pid_alive(pid):
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
            out[name] = "stopped"
        else:
            out[name] = "was not running"
        path.unlink(missing_ok=True)
    return out


@dataclass
class EmbeddedServices:
    """Context manager giving an address for each named service for one command.

    With `fresh`, every service is started by this command (e.g. with a custom checkpoint in
    `extra_args`), even when one is already running; one that `launch_ahead` started for it
    without arguments counts as started by it.

    Services already configured or up are used as they are; the others are started as child
    processes on free ports and stopped on exit. A service that fails to start is recorded in
    `errors` (the command reports that pipeline as skipped) instead of raising.
    """

    names: list[str]
    extra_args: dict[str, list[str]] = field(default_factory=dict)
    log_dir: Path | None = None
    targets: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    started: list[RunningService] = field(default_factory=list)
    fresh: bool = False

    def __enter__(self) -> EmbeddedServices:
        try:
            self._start_all()
        except BaseException:  # __exit__ is not called when __enter__ raises
            self.__exit__()
            raise
        return self

    def _start_all(self) -> None:
        launched: dict[str, LaunchedService] = {}
        for name in self.names:  # every process first: they load their models at once
            if name not in SERVICES:
                self.errors[name] = f"{name}: no such service in this installation"
                continue
            target = None if self.fresh else resolve_target(name)
            if target:
                self.targets[name] = target
                continue
            log_path, ahead = embedded_log_path(name, self.log_dir), _AHEAD.get(name)
            # launched ahead by this command without arguments: as fresh as one started now
            plain = not self.extra_args.get(name)
            if plain and ahead is not None and ahead.log_path == log_path:
                launched[name] = _AHEAD.pop(name)  # `launch_ahead` started it for us
                continue
            launched[name] = launch_service(get_spec(name), 0, log_path,
                                            self.extra_args.get(name))
        try:
            for name, ls in launched.items():
                try:
                    rs = wait_listening(ls)
                except ServiceStartError as exc:
                    # only now ask why (the check starts an interpreter): not installed, or else
                    missing = not_installed_message(get_spec(name))
                    self.errors[name] = f"{name}: {missing}" if missing else str(exc)
                    continue
                self.started.append(rs)
                self.targets[name] = rs.target
        finally:  # e.g. Ctrl-C while waiting: none of them outlives the command
            running = {rs.process.pid for rs in self.started}
            for ls in launched.values():
                if ls.process.pid not in running and ls.process.poll() is None:
                    stop_process(ls.process)

    def __exit__(self, *exc: object) -> None:
        for rs in self.started:
            stop_process(rs.process)
        self.started.clear()

    def target(self, name: str) -> str | None:
        return self.targets.get(name)

    def require(self, name: str) -> str:
        """The address of service `name`; ServiceStartError (why it is missing) otherwise."""
        target = self.targets.get(name)
        if target is None:
            raise ServiceStartError(self.errors.get(name, f"{name}: not started"))
        return target


__all__ = ["SERVICES", "EmbeddedServices", "resolve_target", "services_down", "services_up"]
