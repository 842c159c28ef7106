"""process_kill, process_pause and service_stop.

Process names are matched exactly (`pgrep -x`, on the kernel's 15-character name). The PIDs a
fault acts on are recorded in `<state_dir>/<fault_id>.pids` before it acts, so verification
looks at exactly those processes and revert resumes exactly those (process_pause).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gameday.core.faults.base import (
    FaultPlan,
    HostContext,
    Lines,
    check_process,
    check_unit,
    fail,
    label,
    opt_text,
    process_pattern,
    wait_until,
)
from gameday.core.shell import render
from gameday.core.yamlsrc import MapNode

SIGNALS = ("KILL", "TERM", "INT", "HUP", "QUIT", "USR1", "USR2")
PAUSED = "paused"
"""process_pause records its PIDs in `<state_dir>/<fault_id>.paused` (a sweep resumes them);
revert removes the file once none of them is stopped."""
_STATE_OF_P = "s=$(ps -o stat= -p \"$p\" | tr -d ' ')"
"""Fixed: the state letters of PID $p (`T` = stopped), empty when it is gone."""


def _pids(lines: Lines, suffix: str = "pids") -> str:
    return render((lines.state(suffix),))


def _running_check(lines: Lines, name: str) -> str:
    return lines.sh(
        f"{render(('pgrep', '-x', process_pattern(name)))} >/dev/null || "
        + fail(f"no process named {name} is running on this host")
    )


def _common_capability(lines: Lines) -> tuple[str, ...]:
    return (
        *lines.sudo_capability(),
        lines.tools_capability(("pgrep", "procps"), ("ps", "procps")),
        lines.state_dir_capability(),
    )


def _record(lines: Lines, name: str, suffix: str = "pids") -> str:
    """Script fragment: record the PIDs of `name` (fails when none runs)."""
    return (
        f"{lines.make_state_dir()} && "
        f"{render(('pgrep', '-x', process_pattern(name)))} > {_pids(lines, suffix)} || "
        + fail(f"no process named {name} is running on this host")
    )


@dataclass(frozen=True, kw_only=True)
class ProcessKill:
    line: int
    name: str | None = None
    process: str
    signal: str = "KILL"
    restart: str | None = None
    kind: str = field(default="process_kill", init=False)

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        pattern = process_pattern(self.process)
        any_alive = (
            f"alive=; for p in $(cat {_pids(lines)}); do {_STATE_OF_P}; "
            'case $s in ""|Z*) ;; *) alive=1 ;; esac; done; [ -z "$alive" ]'
        )
        gone = (
            f"[ -s {_pids(lines)} ] || exit 1; {wait_until(f'{{ {any_alive}; }}', 50)} || "
            + fail(f"a killed {self.process} process is still alive")
        )
        restart_log = lines.state("restart.log")
        if self.restart is None:
            revert: tuple[str, ...] = ("true",)
            back: tuple[str, ...] = ("true",)
            note = "; nothing restarts it (no restart: given), so revert has nothing to do"
        else:
            # A killed process its parent has not reaped yet is a zombie of the same name: it
            # must not count as running, or revert skips the restart and verify_reverted passes
            # on the corpse.
            running = (
                f"{{ up=; for p in $({render(('pgrep', '-x', pattern))}); do {_STATE_OF_P}; "
                'case $s in ""|Z*) ;; *) up=1 ;; esac; done; [ -n "$up" ]; }'
            )
            starter = render(("setsid", "-f", "sh", "-c", self.restart))
            revert = (
                lines.sh(
                    f"{running} || {{ {lines.make_state_dir()}; "
                    f"{starter} >{render((restart_log,))} 2>&1 </dev/null; }}"
                ),
            )
            back = (
                lines.sh(
                    f"{wait_until(running, 100)} || {{ "
                    + render(
                        ("printf", "%s\\n", f"{self.process} did not come back; its restart said:")
                    )
                    + f" >&2; {render(('tail', '-n', '5', restart_log))} >&2; exit 1; }}"
                ),
            )
            note = "; revert runs the restart command when none runs"
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=(*_common_capability(lines), _running_check(lines, self.process)),
            inject=(
                lines.sh(
                    f"{_record(lines, self.process)}; "
                    f"{render(('pkill', f'-{self.signal}', '-x', pattern))}"
                ),
            ),
            verify_active=(lines.sh(gone),),
            revert=revert,
            verify_reverted=back,
            summary=f"Send SIG{self.signal} to every process named {self.process}{note}",
            revert_verified=self.restart is not None,
            cleanup=(lines.cmd("rm", "-f", lines.state("pids"), restart_log),),
        )


@dataclass(frozen=True, kw_only=True)
class ProcessPause:
    line: int
    name: str | None = None
    process: str
    kind: str = field(default="process_pause", init=False)

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        paused = _pids(lines, PAUSED)
        pattern = render(("pgrep", "-x", process_pattern(self.process)))
        all_stopped = (
            f"stopped=1; for p in $(cat {paused}); do {_STATE_OF_P}; "
            'case $s in T*) ;; *) stopped= ;; esac; done; [ -n "$stopped" ]'
        )
        # `stopped` prints the first recorded or same-named PID still stopped (status 0), if any
        define_stopped = (
            f"stopped() {{ for p in $(cat {paused} 2>/dev/null) $({pattern}); do "
            f'{_STATE_OF_P}; case $s in T*) echo "$p"; return 0 ;; esac; done; return 1; }}; '
        )
        still = (
            render(("printf", "process %s is still stopped\\n")) + ' "$(stopped)" >&2; exit 1; }'
        )
        resume = (
            f'for p in $(cat {paused} 2>/dev/null); do kill -CONT "$p" 2>/dev/null; done; '
            f"for p in $({pattern}); do {_STATE_OF_P}; "
            'case $s in T*) kill -CONT "$p" ;; esac; done; '
        )
        resumed = wait_until("! stopped >/dev/null", 10)
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=(*_common_capability(lines), _running_check(lines, self.process)),
            inject=(
                lines.sh(
                    f"{_record(lines, self.process, PAUSED)}; "
                    f'for p in $(cat {paused}); do kill -STOP "$p"; done'
                ),
            ),
            verify_active=(
                lines.sh(
                    f"[ -s {paused} ] || exit 1; "
                    f"{wait_until(f'{{ {all_stopped}; }}', 20)} || "
                    + fail(f"not every recorded {self.process} process is stopped")
                ),
            ),
            revert=(
                lines.sh(
                    f"{define_stopped}{resume}{resumed} || {{ {still}; "
                    + render(("rm", "-f", lines.state(PAUSED)))
                ),
            ),
            verify_reverted=(lines.sh(f"{define_stopped}{resumed} || {{ {still}"),),
            summary=f"Pause (SIGSTOP) every process named {self.process}; revert resumes them",
        )


@dataclass(frozen=True, kw_only=True)
class ServiceStop:
    line: int
    name: str | None = None
    service: str
    kind: str = field(default="service_stop", init=False)

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        unit = self.service
        loaded = (
            f'[ "$({render(("systemctl", "show", "-p", "LoadState", "--value", unit))})" = loaded ]'
            f" || {fail(f'systemd does not know the unit {unit}')}"
        )
        active = render(("systemctl", "is-active", "--quiet", unit))
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=(
                *lines.sudo_capability(),
                lines.tools_capability(("systemctl", "systemd")),
                lines.sh(
                    "[ -d /run/systemd/system ] || "
                    + fail("systemd is not running on this host: service_stop needs it")
                ),
                lines.sh(loaded),
                lines.sh(
                    f"{active} || "
                    + fail(f"{unit} is not active now: stopping it would change nothing")
                ),
            ),
            inject=(lines.cmd("systemctl", "stop", unit),),
            verify_active=(lines.sh(f"! {active}"),),
            revert=(lines.cmd("systemctl", "start", unit),),
            verify_reverted=(lines.cmd("systemctl", "is-active", "--quiet", unit),),
            summary=f"Stop the systemd unit {unit}; revert starts it again",
        )


def parse_kill(m: MapNode) -> ProcessKill:
    signal_node = m.get("signal")
    signal = "KILL"
    if signal_node is not None:
        signal = signal_node.as_str().upper().removeprefix("SIG")
        if signal not in SIGNALS:
            raise signal_node.error(f"must be one of {', '.join(SIGNALS)}")
    return ProcessKill(
        line=m.line,
        name=label(m),
        process=m.require("process").convert(check_process),
        signal=signal,
        restart=opt_text(m, "restart"),
    )


def parse_pause(m: MapNode) -> ProcessPause:
    return ProcessPause(
        line=m.line, name=label(m), process=m.require("process").convert(check_process)
    )


def parse_service(m: MapNode) -> ServiceStop:
    return ServiceStop(line=m.line, name=label(m), service=m.require("service").convert(check_unit))
