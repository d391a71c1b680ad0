"""Video sessions of a study spread over gateway replicas, one worker per replica in turn.

`--gateway ipv4:127.0.0.1:50150,127.0.0.1:50160` names two gateway replicas (e.g. two compose
gateway containers on their own host ports). A fresh round-robin channel sends its first calls
to whichever replica connects first, so concurrent sessions started together would all land
on one replica; here worker k instead talks only to replica k mod n, so with as many workers
as replicas each replica runs one session at a time. Any other target (one host:port, a
`dns:///` name such as a headless Kubernetes Service) is used as it is, and gRPC's
round_robin policy spreads the calls over what it resolves to.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from posearena_gateway.study.sessions import Session


def gateway_targets(gateway: str) -> list[str]:
    """The targets worker k uses (k mod len): one per address of an ipv4:/ipv6: list.

    Args:
        gateway: a gRPC target as given to --gateway.

    Returns:
        ["ipv4:A", "ipv4:B", ...] for "ipv4:A,B,..." (likewise ipv6:), else [gateway].
    """
    scheme, sep, rest = gateway.partition(":")
    if sep and scheme in ("ipv4", "ipv6") and "," in rest:
        return [f"{scheme}:{a.strip()}" for a in rest.split(",") if a.strip()]
    return [gateway]


def run_on_replicas(todo: list[int], sessions: list[Session], workers: int, gateway: str,
                    run_one: Callable[[Session, str], object],
                    report: Callable[[int, object], None]) -> None:
    """Run sessions `todo` (indices into `sessions`) in `workers` threads.

    Thread k sends its sessions to gateway_targets(gateway)[k % n]; the work is the
    gateway's, so threads suffice. `run_one(session, target)` must not raise (it returns the
    session's outcome); `report(i, outcome)` is called under a lock as each one ends.
    """
    targets = gateway_targets(gateway)
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in todo:
        pending.put(i)
    lock = threading.Lock()

    def work(target: str) -> None:
        while True:
            try:
                i = pending.get_nowait()
            except queue.Empty:
                return
            outcome = run_one(sessions[i], target)
            with lock:
                report(i, outcome)

    threads = [threading.Thread(target=work, args=(targets[k % len(targets)],),
                                name=f"study-worker-{k}", daemon=True)
               for k in range(max(1, min(workers, len(todo))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
