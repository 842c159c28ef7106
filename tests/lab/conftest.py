"""The session's lab: one real 3-host fleet shared by every test that asks for `lab`.

    def test_something(lab: LabInfo) -> None:
        host = lab.hosts[0]            # LabHost: name, address, netns, init_pid, sshd_log
        lab.inventory, lab.key, lab.known_hosts, lab.prometheus_url

The lab gets a name unique to this test process (gdt + PID), free loopback ports and its own
directory, so it never touches a developer's lab or another test run. It is taken down at the
end of the session, even when tests fail. A test that breaks a host must repair it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gameday import lab as gdlab
from gameday.lab import LabConfig, LabInfo
from tests.lab.support import wait_for_rates

LAB_ROOT = Path("/var/lib/gameday-lab")
"""Outside /tmp: every lab host mounts its own tmpfs over /tmp and would not see the files."""


def lab_unavailable() -> str | None:
    """Why the lab cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return f"the lab needs Linux (network namespaces); this is {sys.platform}"
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, mounts); run the tests as root"
    if shutil.which("ip") is None and not Path("/usr/sbin/ip").exists():
        return "iproute2 (`ip`) is not installed"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique_lab_name() -> str:
    return f"gdt{os.getpid() % 100000}"


OWNER_FILE = ".test-owner"
"""In a test lab's directory: `PID START_TIME` of the test process that made it."""
TEST_PREFIXES = ("session-", "down-", "repair-", "failed-")


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def sweep_abandoned_test_labs() -> None:
    """Take down test labs whose test process died without its teardown (e.g. SIGKILL)."""
    if not LAB_ROOT.is_dir():
        return
    for directory in LAB_ROOT.iterdir():
        owner = directory / OWNER_FILE
        if not directory.name.startswith(TEST_PREFIXES) or not owner.is_file():
            continue
        pid, _, started = owner.read_text().partition(" ")
        if pid.isdigit() and _start_time(int(pid)) == started.strip():
            continue  # its test run is still going
        gdlab.down(directory)
        shutil.rmtree(directory, ignore_errors=True)


class LabDir:
    """A fresh directory under LAB_ROOT; removes it (and LAB_ROOT, if it made it) afterwards."""

    def __init__(self, prefix: str) -> None:
        self.made_root = not LAB_ROOT.exists()
        LAB_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=LAB_ROOT))
        self.path.chmod(0o755)
        (self.path / OWNER_FILE).write_text(f"{os.getpid()} {_start_time(os.getpid())}")

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self.made_root:
            with contextlib.suppress(OSError):  # another lab still lives there
                LAB_ROOT.rmdir()


@pytest.fixture(scope="session")
def lab() -> Iterator[LabInfo]:
    """A running 3-host lab for the whole session; always torn down."""
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    sweep_abandoned_test_labs()
    directory = LabDir("session-")
    prometheus_port = free_port()
    loadgen_port = free_port()
    while loadgen_port == prometheus_port:
        loadgen_port = free_port()
    config = LabConfig(
        name=unique_lab_name(),
        dir=directory.path,
        hosts=3,
        prometheus_port=prometheus_port,
        loadgen_port=loadgen_port,
    )
    try:
        yield gdlab.up(config)
    finally:
        try:
            gdlab.down(directory.path)
        finally:
            directory.remove()


def run(argv: list[str], timeout: float = 15.0) -> subprocess.CompletedProcess[str]:
    """A command on this machine (as root), output captured, bounded in time."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def rates_in_prometheus(lab: LabInfo) -> None:
    """The lab's Prometheus has the load generator's rates (a module asks for it by
    `pytest.mark.usefixtures("rates_in_prometheus")`)."""
    wait_for_rates(lab)
