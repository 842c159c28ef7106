"""No fault left behind, over real SSH: a console killed with SIGKILL, a frozen console, and a
dead watcher — the host reverts by itself within the lease (or at the timer's deadline).

The host is this machine through a real sshd on loopback; the fault is a file, so "reverted"
is observable from outside. Every process these tests start is stopped by PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.sshd_server import SSHD, Sshd, sshd_running

pytestmark = [
    pytest.mark.lab,
    pytest.mark.slow,
    pytest.mark.skipif(not SSHD.exists(), reason="OpenSSH server (/usr/sbin/sshd) not installed"),
]

HERE = Path(__file__).resolve().parent
LEASE = 1.5
"""Seconds without a heartbeat after which a host reverts (the bound asserted below)."""
MARGIN = 1.0
"""Slack for process scheduling on a 2-core machine running other tests."""


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    yield from sshd_running(tmp_path_factory.mktemp("sshd"))


class Console:
    """A console process holding the SSH connection, killed by PID."""

    def __init__(self, sshd: Sshd, folder: Path, *, deadline: float = 600) -> None:
        self.state = folder / "state"
        self.effect = folder / "effect"
        spec = {
            "port": sshd.port,
            "key": str(sshd.client_key),
            "known_hosts": str(sshd.known_hosts),
            "state": str(self.state),
            "effect": str(self.effect),
            "lease": LEASE,
            "deadline": deadline,
        }
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "console_child.py"), json.dumps(spec)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # bounded: the child gives up after 120 s
        assert line.startswith("injected "), f"console failed: {line!r}"
        self.watcher_pid = int(line.split()[1])
        assert self.effect.exists()

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _seconds_until_gone(path: Path, limit: float) -> float:
    started = time.monotonic()
    while path.exists() and time.monotonic() - started < limit:
        time.sleep(0.01)
    return time.monotonic() - started


def _history(state: Path, expect: str, limit: float = 3.0) -> str:
    """The host's history once it mentions `expect` (written just after the revert)."""
    started = time.monotonic()
    text = ""
    while time.monotonic() - started < limit and expect not in text:
        history = state / "history"
        text = history.read_text() if history.exists() else ""
        time.sleep(0.01)
    return text


def _kill_timers(state: Path) -> None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(state).encode() in cmdline and b"timer.sh" in cmdline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(entry.name), signal.SIGKILL)


@pytest.fixture
def console(sshd: Sshd, tmp_path: Path) -> Iterator[Console]:
    made = Console(sshd, tmp_path)
    try:
        yield made
    finally:
        made.stop()
        _kill_timers(made.state)


def test_console_killed_with_sigkill_host_reverts_within_the_lease(console: Console) -> None:
    console.signal(signal.SIGKILL)
    waited = _seconds_until_gone(console.effect, LEASE + MARGIN + 5)
    assert not console.effect.exists(), "the fault stayed after the console died"
    assert waited <= LEASE + MARGIN, f"reverted after {waited:.2f}s (bound {LEASE + MARGIN}s)"
    assert "f1 reverted by lease" in _history(console.state, "f1 reverted by lease")
    assert not (console.state / "faults" / "f1").exists()


def test_frozen_console_loses_its_faults_when_the_lease_runs_out(console: Console) -> None:
    # SIGSTOP: the TCP connection stays open but nothing is sent, as when the network is cut
    console.signal(signal.SIGSTOP)
    waited = _seconds_until_gone(console.effect, LEASE + MARGIN + 5)
    console.signal(signal.SIGCONT)
    assert not console.effect.exists(), "the fault stayed with a silent console"
    assert waited <= LEASE + MARGIN, f"reverted after {waited:.2f}s (bound {LEASE + MARGIN}s)"


def test_timer_reverts_when_the_watcher_itself_is_killed(sshd: Sshd, tmp_path: Path) -> None:
    made = Console(sshd, tmp_path, deadline=3)
    try:
        os.kill(made.watcher_pid, signal.SIGKILL)  # no lease any more: only the timer is left
        made.signal(signal.SIGKILL)
        waited = _seconds_until_gone(made.effect, 10)
        assert not made.effect.exists(), "the dead-man timer did not revert"
        assert 1.0 <= waited <= 3 + MARGIN + 1
        assert "f1 reverted by timer" in _history(made.state, "f1 reverted by timer")
    finally:
        made.stop()
        _kill_timers(made.state)


def test_proxy_jump_chains_through_the_jump_host(sshd: Sshd, tmp_path: Path) -> None:
    from types import MappingProxyType

    from gameday.adapters.ssh import SshConnector
    from gameday.adapters.ssh_config import SshOptions
    from gameday.core.formats.inventory import Host, Inventory

    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host behind-bastion\n  HostName 127.0.0.1\n  Port {sshd.port}\n"
        f"  ProxyJump root@127.0.0.1:{sshd.port}\n"
        f"Host 127.0.0.1\n  IdentityFile {sshd.client_key}\n"
    )
    host = Host(name="web-9", address="behind-bastion", identity_file=str(sshd.client_key))
    inventory = Inventory(
        file="inventory.yaml",
        hosts=MappingProxyType({"web-9": host}),
        groups=MappingProxyType({}),
        known_hosts=str(sshd.known_hosts),
    )
    options = SshOptions(
        ssh_config=str(config), user_known_hosts=None, use_agent=False, look_for_keys=False
    )
    logins_before = sshd.log_text().count("Accepted publickey")
    transport = SshConnector(inventory, options).open("web-9")
    try:
        result = transport.run("echo through", timeout=10)
    finally:
        transport.close()
    assert result.stdout == "through\n"
    # two logins for one host: the jump host's, then the target's through its channel
    assert sshd.log_text().count("Accepted publickey") - logins_before == 2
