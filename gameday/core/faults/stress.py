"""cpu_stress, memory_stress and io_stress: stress-ng in its own process group.

stress-ng runs with its own `--timeout`, so it ends by itself even if nobody reverts it. It is
started by `setsid` (a new session, hence a new process group whose id is the leader's PID),
detached, with its output in `<state_dir>/<fault_id>.log`; the leader writes its PID — the
group id — to `<state_dir>/<fault_id>.pgid` before it becomes stress-ng, with
`GAMEDAY_FAULT=<fault_id>` in its environment (inherited by every worker). Revert signals the
whole group (TERM, then KILL), and only when that group still holds stress-ng processes, so a
stale file never makes gameday signal a stranger; then it kills anything still carrying the
marker. verify_reverted asks the kernel, not the file: no process carries the marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gameday.core.faults.base import (
    FaultPlan,
    HostContext,
    Lines,
    abs_path_of,
    fail,
    label,
    seconds_for_timeout,
    wait_until,
)
from gameday.core.shell import render
from gameday.core.units import format_size
from gameday.core.yamlsrc import MapNode

_IN_GROUP = render(("pgrep", "-g")) + ' "$pg" ' + render(("^stress-ng",)) + " >/dev/null"
_DEFINE_NONE = f'none() {{ {_IN_GROUP}; [ "$?" -eq 1 ]; }}; '
"""Fixed: `none` is true iff group $pg holds no stress-ng (pgrep exits 1 for "no such process"
only; 2 and 3 are its own errors, never "none")."""
_NONE_IN_GROUP = "none"
DEFAULT_KEEP_AVAILABLE = 256 * 1024 * 1024
MARKER_VARIABLE = "GAMEDAY_FAULT"
"""Every stress-ng process of a fault carries `GAMEDAY_FAULT=<fault_id>` in its environment:
verify_reverted looks for it, and a sweep finds gameday's stress-ng processes by it."""


def io_dir(path: str, fault_id: str) -> str:
    """The directory io_stress gives stress-ng for its files; removed whole by revert."""
    return f"{path.rstrip('/')}/.gameday-io-{fault_id}"


@dataclass(frozen=True, kw_only=True)
class _Stress:
    line: int
    name: str | None = None

    def stressor(self, fault_id: str) -> tuple[str, ...]:
        raise NotImplementedError

    def describe(self, seconds: int) -> str:
        raise NotImplementedError

    def scratch_dir(self, fault_id: str) -> str | None:
        """A directory inject creates and revert removes, if the stressor needs one."""
        return None

    def extra_capability(self, lines: Lines) -> tuple[str, ...]:
        return ()

    def precheck(self) -> str:
        """A script fragment checked by capability and again at the start of inject."""
        return ""

    def build(self, kind: str, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        seconds = seconds_for_timeout(duration)
        pgid_file = render((lines.state("pgid"),))
        log = lines.state("log")
        scratch = self.scratch_dir(fault_id)
        argv = ("stress-ng", *self.stressor(fault_id), "--timeout", f"{seconds}s")
        marker = f"{MARKER_VARIABLE}={fault_id}"
        leader = f"echo $$ > {pgid_file} && exec {render(('env', marker, *argv))}"
        marked = (
            "$("
            + render(("grep", "-l", "-s", "-z", "-x", "-F", "-e", marker))
            + " /proc/[0-9]*/environ)"
        )
        none_marked = f'[ -z "{marked}" ]'
        kill_marked = (
            f'for f in {marked}; do p=${{f#/proc/}}; kill -KILL "${{p%/environ}}" 2>/dev/null; done'
        )
        read_pg = f"pg=$(cat {pgid_file} 2>/dev/null); "
        precheck = self.precheck()
        inject = (
            (f"{precheck}; " if precheck else "")
            + f"{lines.make_state_dir()} || exit 1; "
            + (f"{render(('mkdir', '-p', scratch))} || exit 1; " if scratch else "")
            + read_pg
            + f'if [ -n "$pg" ] && {_IN_GROUP}; then '
            + fail("the stress-ng of this fault is already running")
            + "; fi; "
            + f"{render(('rm', '-f', lines.state('pgid')))}; "
            + f"{render(('setsid', 'sh', '-c', leader))} >{render((log,))} 2>&1 </dev/null & "
            + wait_until(f"[ -s {pgid_file} ]", 50)
            + f" || {fail(f'stress-ng did not start; see {log}')}"
        )
        kill = (
            f'kill -TERM "-$pg" 2>/dev/null; {wait_until(_NONE_IN_GROUP, 30)} || '
            f'kill -KILL "-$pg" 2>/dev/null; {wait_until(_NONE_IN_GROUP, 20)}'
        )
        revert = (
            read_pg
            + _DEFINE_NONE
            + "case $pg in '') ;; 0*|1|*[!0-9]*) "
            + fail(f"{lines.state('pgid')} does not hold a process-group id")
            + ";; esac; "
            + f'if [ -n "$pg" ] && {_IN_GROUP}; then {kill}; fi; '
            + f"{kill_marked}; "
            + (f"{render(('rm', '-rf', scratch))}; " if scratch else "")
            + f"{wait_until(none_marked, 20)} && {render(('rm', '-f', lines.state('pgid')))}"
        )
        gone = none_marked
        if scratch:
            gone += f" && [ ! -e {render((scratch,))} ]"
        return FaultPlan(
            kind=kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=(
                *lines.sudo_capability(),
                lines.tools_capability(
                    ("stress-ng", "stress-ng"), ("setsid", "util-linux"), ("pgrep", "procps")
                ),
                lines.state_dir_capability(),
                *self.extra_capability(lines),
                *((lines.sh(precheck),) if precheck else ()),
            ),
            inject=(lines.sh(inject),),
            verify_active=(lines.sh(f'{read_pg}[ -n "$pg" ] && {_IN_GROUP}'),),
            revert=(lines.sh(revert),),
            verify_reverted=(lines.sh(gone),),
            summary=self.describe(seconds),
            cleanup=(lines.cmd("rm", "-f", lines.state("pgid"), log),),
        )


@dataclass(frozen=True, kw_only=True)
class CpuStress(_Stress):
    workers: int = 0
    load: int = 100
    kind: str = field(default="cpu_stress", init=False)

    def stressor(self, fault_id: str) -> tuple[str, ...]:
        return ("--cpu", str(self.workers), "--cpu-load", str(self.load))

    def describe(self, seconds: int) -> str:
        who = "one worker per CPU" if self.workers == 0 else f"{self.workers} worker(s)"
        return f"Load CPUs at {self.load}% with stress-ng ({who}) for at most {seconds}s"

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        return self.build(self.kind, ctx, fault_id, duration)


@dataclass(frozen=True, kw_only=True)
class MemoryStress(_Stress):
    size: int = 256 * 1024 * 1024
    workers: int = 1
    keep_available: int = DEFAULT_KEEP_AVAILABLE
    kind: str = field(default="memory_stress", init=False)

    def precheck(self) -> str:
        """Refuse when the host would keep less than `keep_available` (MemAvailable, which
        counts reclaimable cache) once the workers hold their memory."""
        need_kib = -(-(self.size * self.workers + self.keep_available) // 1024)
        return (
            "avail=$(awk '/^MemAvailable:/ {print $2; exit}' /proc/meminfo); "
            "case $avail in ''|*[!0-9]*) "
            + fail("cannot read MemAvailable from /proc/meminfo")
            + ";; esac; "
            + f'if [ "$avail" -lt {need_kib} ]; then '
            + render(
                (
                    "printf",
                    f"refusing to hold {format_size(self.size * self.workers)} of memory: "
                    f"%s KiB available, and {format_size(self.keep_available)} must stay "
                    "available\\n",
                )
            )
            + ' "$avail" >&2; exit 1; fi'
        )

    def stressor(self, fault_id: str) -> tuple[str, ...]:
        return ("--vm", str(self.workers), "--vm-bytes", str(self.size), "--vm-keep")

    def describe(self, seconds: int) -> str:
        total = format_size(self.size * self.workers)
        return (
            f"Hold {format_size(self.size)} of memory in each of {self.workers} stress-ng "
            f"worker(s) ({total} in all) for at most {seconds}s"
        )

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        return self.build(self.kind, ctx, fault_id, duration)


@dataclass(frozen=True, kw_only=True)
class IoStress(_Stress):
    workers: int = 1
    path: str = "/tmp"
    size: int = 128 * 1024 * 1024
    kind: str = field(default="io_stress", init=False)

    def stressor(self, fault_id: str) -> tuple[str, ...]:
        return (
            "--hdd",
            str(self.workers),
            "--hdd-bytes",
            str(self.size),
            "--temp-path",
            io_dir(self.path, fault_id),
        )

    def scratch_dir(self, fault_id: str) -> str | None:
        return io_dir(self.path, fault_id)

    def extra_capability(self, lines: Lines) -> tuple[str, ...]:
        return (
            lines.sh(
                f"[ -d {render((self.path,))} ] || "
                + fail(f"{self.path} is not a directory on this host")
            ),
        )

    def describe(self, seconds: int) -> str:
        return (
            f"Write and read {format_size(self.size)} per worker in {self.path} with "
            f"{self.workers} stress-ng hdd worker(s) for at most {seconds}s"
        )

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        return self.build(self.kind, ctx, fault_id, duration)


def _workers(m: MapNode, default: int, *, min: int = 1) -> int:
    node = m.get("workers")
    return default if node is None else node.as_int(min=min, max=1024)


def _size(m: MapNode, default: int) -> int:
    node = m.get("size")
    return default if node is None else node.as_size(min=1024 * 1024, max=1024**4)


def parse_cpu(m: MapNode) -> CpuStress:
    load = m.get("load")
    return CpuStress(
        line=m.line,
        name=label(m),
        workers=_workers(m, 0, min=0),
        load=100 if load is None else load.as_int(min=1, max=100),
    )


def parse_memory(m: MapNode) -> MemoryStress:
    keep = m.get("keep_available")
    return MemoryStress(
        line=m.line,
        name=label(m),
        size=_size(m, 256 * 1024 * 1024),
        workers=_workers(m, 1),
        keep_available=DEFAULT_KEEP_AVAILABLE if keep is None else keep.as_size(min=0, max=1024**5),
    )


def parse_io(m: MapNode) -> IoStress:
    path = m.get("path")
    return IoStress(
        line=m.line,
        name=label(m),
        workers=_workers(m, 1),
        path="/tmp" if path is None else abs_path_of(path),
        size=_size(m, 128 * 1024 * 1024),
    )
