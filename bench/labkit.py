"""The bench's own lab: bring it up, pause its background load while SSH paths are timed, check
every host from outside (no SSH), and take it down again.

The lab is `gdbench` in /var/lib/gameday-lab/gdbench (Prometheus and the load generator on
loopback ports 9590/9591), sized for the largest host count asked for; smaller runs use the
first N of its hosts, so every method is timed on the same hosts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from gameday import lab
from gameday.core.faults import FaultPlan, HostContext, parse_fault
from gameday.core.yamlsrc import load_yaml
from gameday.lab.model import LabInfo
from gameday.lab.state import read_state

LAB_NAME = "gdbench"
LAB_DIR = Path("/var/lib/gameday-lab") / LAB_NAME
PROMETHEUS_PORT = 9590

BANDWIDTH = {"kind": "bandwidth", "rate": "10mbit", "interface": "eth0"}
"""The fault every method injects and reverts: a tc tbf root qdisc on each host's eth0."""


@contextlib.contextmanager
def bench_lab(hosts: int) -> Iterator[LabInfo]:
    """A lab of `hosts` hosts, taken down on the way out, whatever happens."""
    config = lab.LabConfig(name=LAB_NAME, dir=LAB_DIR, hosts=hosts, prometheus_port=PROMETHEUS_PORT)
    with contextlib.suppress(Exception):
        lab.down(LAB_DIR, say=lambda _text: None)  # a lab left by an interrupted run
    try:
        yield lab.up(config, say=lambda _text: None)
    finally:
        lab.down(LAB_DIR, say=lambda _text: None)


@contextlib.contextmanager
def background_paused(info: LabInfo) -> Iterator[None]:
    """SIGSTOP the lab's load generator and Prometheus (both started by the lab) while SSH paths
    are timed; SIGCONT them on the way out."""
    state = read_state(info.dir)
    records = (state.loadgen, state.prometheus) if state is not None else ()
    pids = [record.pid for record in records if record is not None]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def fault_plan(host: str, fault_id: str) -> FaultPlan:
    """The bandwidth fault's plan for one host: the exact lines every method runs."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(BANDWIDTH, f)
    try:
        spec = parse_fault(load_yaml(f.name))
    finally:
        os.unlink(f.name)
    return spec.plan(HostContext(host), fault_id, 600)


def script(lines: Sequence[str]) -> str:
    """Lines run in order, stopping at the first failure (its status is the script's)."""
    return "\n".join(f"{{ {line}\n}} || exit $?" for line in lines)


def qdisc_state(info: LabInfo, names: Sequence[str]) -> dict[str, bool]:
    """Host → whether gameday's tbf qdisc (handle 68xx:, under the fault's htb root) is on its
    eth0, read from outside the host (ip netns exec, no SSH)."""
    found: dict[str, bool] = {}
    for name in names:
        netns = info.host(name).netns
        out = subprocess.run(
            ["ip", "netns", "exec", netns, "tc", "qdisc", "show", "dev", "eth0"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        found[name] = " tbf 68" in out
    return found


def require(info: LabInfo, names: Sequence[str], *, faulted: bool, what: str) -> None:
    """Raise unless every host is (or is not) faulted, as seen from outside."""
    wrong = [h for h, on in qdisc_state(info, names).items() if on != faulted]
    if wrong:
        state = "still faulted" if not faulted else "not faulted"
        raise AssertionError(f"{what}: {state} on {', '.join(wrong)}")


def write_scenario(folder: Path, names: Sequence[str], duration: str = "1h") -> Path:
    """A scenario with the bandwidth fault on every named host at once, and one probe that
    needs no network (the console's own memory), sampled once an hour: nothing but the faults
    talks to the hosts while the kill switch is timed."""
    document = {
        "id": "bench-bandwidth",
        "title": "Bench: bandwidth on every host",
        "hypothesis": "The kill switch reverts every host.",
        "targets": {"select": {"hosts": list(names)}},
        "steady_state": {
            "interval": duration,
            # memory, not cpu: a cpu gauge's first sample waits out its 0.1 s window, a fixed
            # wait the bare pool has no counterpart for
            "probes": [{"name": "console_memory", "system": "memory", "max": 100}],
        },
        "faults": [dict(BANDWIDTH, name="thin pipe")],
        "schedule": {"warmup": "0s", "duration": duration, "cooldown": "0s"},
    }
    path = folder / f"bench-{len(names)}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
