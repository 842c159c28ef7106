"""The session's connection pool: parallel but bounded, one transport per host, errors kept
per host."""

from __future__ import annotations

import threading
import time

from gameday.adapters.local import LocalTransport
from gameday.engine.connector import Connector
from gameday.errors import AuthFailed


def test_hosts_open_in_parallel_within_the_bound_and_are_reused() -> None:
    lock = threading.Lock()
    in_flight = peak = opened = 0

    def open_one(name: str) -> LocalTransport:
        nonlocal in_flight, peak, opened
        with lock:
            in_flight += 1
            opened += 1
            peak = max(peak, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return LocalTransport(name)

    connector = Connector(open_one, max_parallel=4)
    started = time.monotonic()
    outcomes = connector.connect_all([f"h{i}" for i in range(12)])
    elapsed = time.monotonic() - started
    assert peak == 4
    assert elapsed < 12 * 0.05, "hosts were opened one after another"
    assert all(o.transport is not None and o.error is None for o in outcomes.values())
    assert connector.get("h3") is outcomes["h3"].transport
    assert opened == 12, "a host already open must not be connected again"
    connector.close_all()


def test_one_host_failing_does_not_hide_the_others() -> None:
    def open_one(name: str) -> LocalTransport:
        if name == "bad":
            raise AuthFailed(name, "refused every key")
        if name == "buggy":
            raise RuntimeError("adapter bug")
        return LocalTransport(name)

    outcomes = Connector(open_one).connect_all(["ok", "bad", "buggy"])
    assert outcomes["ok"].transport is not None
    assert isinstance(outcomes["bad"].error, AuthFailed)
    assert (
        outcomes["buggy"].error is not None and "internal error" in outcomes["buggy"].error.message
    )


def test_each_host_is_handed_on_as_soon_as_it_is_connected() -> None:
    slow_may_finish = threading.Event()
    handed: list[str] = []

    def open_one(name: str) -> LocalTransport:
        if name == "slow":
            assert slow_may_finish.wait(5)
        return LocalTransport(name)

    def then(name: str, transport: object) -> None:
        handed.append(name)
        if name == "fast":
            slow_may_finish.set()  # "slow" is still connecting while "fast" is handed on
        if name == "buggy":
            raise RuntimeError("a bug in what comes next")

    connector = Connector(open_one)
    outcomes = connector.connect_all(["slow", "fast", "buggy"], then=then)
    assert handed.index("fast") < handed.index("slow")
    assert all(o.transport is not None for o in outcomes.values()), "a failing `then` keeps it"
    connector.close_all()
