"""The session's connection pool: parallel but bounded, one transport per host, errors kept
per host."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

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


def test_known_hosts_are_read_once_and_again_when_the_file_changes(tmp_path: Path) -> None:
    import paramiko

    from gameday.adapters.ssh import _KnownHosts

    def line(address: str) -> str:
        key = paramiko.Ed25519Key.from_private_key_file(str(_new_key(tmp_path, address)))
        return f"{address} {key.get_name()} {key.get_base64()}\n"

    path = tmp_path / "known_hosts"
    path.write_text(line("10.0.0.1"))
    known = _KnownHosts()
    first = known.read(str(path))
    assert known.read(str(path)) is first, "one parse for every connection"
    with path.open("a") as handle:  # say, --trust-new-hosts recorded a new host meanwhile
        handle.write(line("10.0.0.2"))
    again = known.read(str(path))
    assert again is not first and again.lookup("10.0.0.2") is not None


def test_hosts_connecting_at_once_share_one_parse_of_known_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import paramiko

    from gameday.adapters import ssh

    path = tmp_path / "known_hosts"
    path.write_text("")
    parses: list[str] = []
    real = paramiko.HostKeys

    def slow_parse(filename: str) -> paramiko.HostKeys:
        parses.append(filename)
        time.sleep(0.05)  # a long file: the other hosts ask while it is still being read
        return real(filename)

    monkeypatch.setattr(paramiko, "HostKeys", slow_parse)
    known = ssh._KnownHosts()
    start = threading.Barrier(8)
    got: list[paramiko.HostKeys] = []

    def connect() -> None:
        start.wait(5)
        got.append(known.read(str(path)))

    threads = [threading.Thread(target=connect) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(got) == 8 and len({id(keys) for keys in got}) == 1
    assert parses == [str(path)]


def _new_key(folder: Path, name: str) -> Path:
    import subprocess

    path = folder / f"key-{name}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=30
    )
    return path
