"""`lab status`: is each host reachable, are its services up, are gameday faults present?

Reachability is checked from this machine the way a client sees it (SSH banner over TCP, HTTP
GETs). Fault traces are read inside the host (`nsenter` into its namespaces), because its
processes, files and firewall are private to it.
"""

from __future__ import annotations

from pathlib import Path

from gameday.errors import LabError
from gameday.lab import model, system
from gameday.lab.model import HostStatus, LabStatus
from gameday.lab.state import STATE_FILE, HostState, ProcessRecord, read_state

DEFAULT_QDISCS = frozenset({"noqueue", "pfifo_fast", "mq", "fq_codel", "pfifo", "fq"})

# Fixed text, no interpolated values: one round trip gathers every trace a fault leaves.
TRACE_SCRIPT = """
echo '## qdisc'; tc qdisc show 2>/dev/null
echo '## chains'; for t in filter mangle nat raw; do iptables -t $t -S 2>/dev/null; done
echo '## procs'; ps -eo pid=,stat=,comm= 2>/dev/null
echo '## fills'
for d in /tmp /var/tmp /run /var/lib/gameday; do
  find "$d" -xdev -maxdepth 3 -name '.gameday-fill-*' 2>/dev/null
done
echo '## end'
"""


def parse_traces(text: str) -> tuple[str, ...]:
    """Fault traces from TRACE_SCRIPT's output (pure: tested on sample output)."""
    section = ""
    found: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("## "):
            section = line[3:]
            continue
        if not line:
            continue
        words = line.split()
        if section == "qdisc" and len(words) >= 2 and words[0] == "qdisc":
            kind = words[1]
            device = words[words.index("dev") + 1] if "dev" in words[:-1] else "?"
            if kind not in DEFAULT_QDISCS:
                found.append(f"qdisc {kind} on {device}")
        elif section == "chains" and words[0] == "-N" and len(words) > 1:
            if words[1].startswith("GAMEDAY"):
                found.append(f"iptables chain {words[1]}")
        elif section == "procs" and len(words) >= 3:
            pid, stat, comm = words[0], words[1], words[2]
            if comm.startswith("stress-ng"):
                found.append(f"stress-ng process {pid}")
            elif stat.startswith("T"):
                found.append(f"stopped process {comm} ({pid})")
        elif section == "fills" and ".gameday-fill-" in line:
            found.append(f"fill file {line}")
    return tuple(dict.fromkeys(found))  # unique, in order


def host_traces(init_pid: int, init_start: int) -> tuple[str, ...] | None:
    """The fault traces inside one host, or None when its init is not running."""
    if not system.is_alive(init_pid, init_start):
        return None
    argv = ["nsenter", "-t", str(init_pid), "-m", "-u", "-n", "-p", "--", "sh", "-c"]
    result = system.run([*argv, TRACE_SCRIPT], check=False, timeout=10.0)
    return parse_traces(result.stdout)


def _host_status(host: HostState) -> HostStatus:
    address = host.address
    banner = system.ssh_banner(address, timeout=1.5)
    init = host.init or ProcessRecord(pid=0, start=0)
    traces = host_traces(init.pid, init.start)
    return HostStatus(
        name=host.name,
        address=address,
        ssh=banner is not None,
        ssh_banner=banner or "",
        node_exporter=system.http_status(address, model.NODE_EXPORTER_PORT, "/metrics") == 200,
        shop=system.http_status(address, model.SHOP_PORT, "/health", timeout=1.5) == 200,
        init_running=traces is not None,
        faults=traces or (),
    )


def status(lab_dir: Path) -> LabStatus:
    """The state of every part of the lab in `lab_dir` (LabError when there is no lab there)."""
    system.require_root_linux()
    lab_dir = Path(lab_dir).absolute()
    state = read_state(lab_dir)
    if state is None:
        raise LabError(f"there is no lab in {lab_dir} (no {STATE_FILE})")
    hosts = tuple(_host_status(h) for h in state.hosts)
    problems = []
    for record, what in ((state.prometheus, "Prometheus"), (state.loadgen, "the load generator")):
        if record is None or not system.is_alive(record.pid, record.start):
            problems.append(f"{what} is not running")
    return LabStatus(
        name=state.name,
        dir=lab_dir,
        hosts=hosts,
        prometheus=system.http_status("127.0.0.1", state.prometheus_port, "/-/ready") == 200,
        prometheus_url=state.prometheus_url,
        loadgen=system.http_status("127.0.0.1", state.loadgen_port, "/metrics") == 200,
        problems=tuple(problems),
    )


def render_status(lab: LabStatus) -> str:
    def word(ok: bool) -> str:
        return "up" if ok else "DOWN"

    lines = [f"Lab {lab.name!r} in {lab.dir}"]
    lines.append(f"  {'host':<8} {'address':<15} {'ssh':<5} {'node_exp':<9} {'shop':<5} faults")
    for h in lab.hosts:
        faults = "; ".join(h.faults) if h.faults else ("none" if h.init_running else "?")
        if not h.init_running:
            faults += " (host init not running)"
        lines.append(
            f"  {h.name:<8} {h.address:<15} {word(h.ssh):<5} {word(h.node_exporter):<9} "
            f"{word(h.shop):<5} {faults}"
        )
    lines.append(
        f"  prometheus: {word(lab.prometheus)} ({lab.prometheus_url})   "
        f"load generator: {word(lab.loadgen)}"
    )
    lines.extend(f"  problem: {p}" for p in lab.problems)
    return "\n".join(lines)
