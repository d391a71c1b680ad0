"""`posearena study --gateway ipv4:A,B --workers 2`: worker k talks only to replica k mod n,
so each gateway replica runs one session at a time (no Docker needed).

A fresh round-robin channel would send sessions started together to whichever replica
connects first (tests/integration/test_replicas.py); the study's workers avoid that.
"""

from __future__ import annotations

import threading
import time

import pytest

from posearena_gateway.study.replicas import gateway_targets, run_on_replicas
from posearena_gateway.study.sessions import Session


@pytest.mark.parametrize(("target", "expected"), [
    ("ipv4:127.0.0.1:50350,127.0.0.1:50360", ["ipv4:127.0.0.1:50350", "ipv4:127.0.0.1:50360"]),
    ("ipv6:[::1]:1,[::1]:2", ["ipv6:[::1]:1", "ipv6:[::1]:2"]),
    ("ipv4:127.0.0.1:50350", ["ipv4:127.0.0.1:50350"]),
    ("127.0.0.1:50150", ["127.0.0.1:50150"]),
    ("dns:///gateway.posearena.svc.cluster.local:50150",
     ["dns:///gateway.posearena.svc.cluster.local:50150"]),
])
def test_gateway_targets(target, expected):
    assert gateway_targets(target) == expected


def _sessions(n: int) -> list[Session]:
    return [Session(subject=f"s{i}", exercise="walk", trial="1", reference="multiview",
                    videos=("a.mp4", "b.mp4")) for i in range(n)]


def test_each_replica_runs_one_session_at_a_time():
    sessions = _sessions(6)
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}
    served: dict[str, list[str]] = {}
    reported: list[int] = []

    def run_one(session: Session, target: str) -> str:
        with lock:
            in_flight[target] = in_flight.get(target, 0) + 1
            most[target] = max(most.get(target, 0), in_flight[target])
            served.setdefault(target, []).append(session.subject)
        time.sleep(0.05)
        with lock:
            in_flight[target] -= 1
        return target

    run_on_replicas(list(range(6)), sessions, 2, "ipv4:127.0.0.1:1,127.0.0.1:2", run_one,
                    lambda i, outcome: reported.append(i))
    assert sorted(reported) == list(range(6))
    assert sorted(served) == ["ipv4:127.0.0.1:1", "ipv4:127.0.0.1:2"]
    assert most == {"ipv4:127.0.0.1:1": 1, "ipv4:127.0.0.1:2": 1}
    assert sorted(s for subjects in served.values() for s in subjects) == \
        [f"s{i}" for i in range(6)]


def test_one_target_gets_every_worker():
    seen: list[str] = []
    run_on_replicas([0, 1, 2], _sessions(3), 2, "127.0.0.1:50150",
                    lambda s, target: seen.append(target), lambda i, o: None)
    assert seen == ["127.0.0.1:50150"] * 3
