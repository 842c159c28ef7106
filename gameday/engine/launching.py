"""Arm, inject and verify a fault in one round trip (see gameday.core.guard.launch).

The first fault of a session on a host goes over a new channel whose command arms, injects,
verifies and then becomes the session's lease watcher: opening the watcher's channel is the
launch. Later faults on the host (the watcher already listens) take one command. The safety
order holds: nothing is injected unless its record and dead-man timer were written first; a
failed inject is reverted at once; a host left alone after any step finishes by itself (the
timer, and the watcher, which starts whatever happened before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gameday.core import guard
from gameday.core.faults import FaultPlan
from gameday.core.guard import launch
from gameday.engine.faultrun import FaultRunner, StepName, StepResult
from gameday.engine.ports import Channel
from gameday.errors import CommandTimedOut, TransportError


@dataclass(frozen=True)
class Launched:
    """The three steps of one launch; a later step is None when it did not run."""

    arm: StepResult
    inject: StepResult | None = None
    verify_active: StepResult | None = None


def launch_fault(runner: FaultRunner, plan: FaultPlan, seconds: float) -> Launched:
    """Arm `plan` with a dead-man timer `seconds` from now, inject it, verify it is active."""
    started = runner.now()
    watcher = "" if runner.has_lease() else runner.lease_command()
    if isinstance(watcher, StepResult):
        return Launched(_failed(runner, plan, "arm", f"no lease: {watcher.detail}", started))
    try:
        script = launch.launch_script(
            plan,
            runner.session_id,
            seconds,
            runner.paths,
            sudo=runner.sudo,
            now=runner.wall(),
            then=watcher,
        )
    except ValueError as exc:
        return Launched(_failed(runner, plan, "arm", str(exc), started))
    runner.note_armed(plan, guarded=False)  # from here on it may be written: reverts see it
    command = guard.as_root(script, sudo=False)
    timeout = runner.command_timeout + 50.0
    try:
        if watcher:
            lines, problem = _until_ready(runner, _launch_channel(runner, script, command), timeout)
        else:
            lines, problem = runner.transport.run(command, timeout=timeout).stdout.splitlines(), ""
    except TransportError as exc:
        return Launched(_failed(runner, plan, "arm", exc.problem, started))
    return _outcomes(runner, plan, launch.parse_steps(lines), problem, started)


def _launch_channel(runner: FaultRunner, script: str, command: str) -> Channel:
    """The channel the launch runs on, to become the watcher's: the session's shell, which
    runs `script` (its last line `exec`s the watcher), or else a new channel for `command`."""
    shell = runner.take_shell()
    if shell is not None:
        try:
            shell.write_line(script)
            return shell
        except TransportError:
            shell.close()
    return runner.transport.open_channel(command)


def _until_ready(runner: FaultRunner, channel: Channel, timeout: float) -> tuple[list[str], str]:
    """The lines the launch printed until its watcher said `ready`; and a problem, if the
    watcher did not start (the steps' lines are still returned)."""
    lines: list[str] = []
    deadline = runner.now() + timeout
    while True:
        remaining = deadline - runner.now()
        try:
            line = channel.read_line(max(0.0, remaining)) if remaining > 0 else None
        except CommandTimedOut:
            line = None
        if line is None:
            channel.close()
            return lines, f"the lease watcher did not start: {_tail(lines)!r}"
        if line.startswith("ready ") and runner.adopt_watcher(channel, line):
            return lines, ""
        lines.append(line)


def _outcomes(
    runner: FaultRunner,
    plan: FaultPlan,
    steps: dict[str, launch.StepOutput],
    problem: str,
    started: float,
) -> Launched:
    arm = steps.get("arm")
    armed = guard.parse_armed("\n".join(arm.lines)) if arm is not None else None
    if arm is None or not arm.ok or armed is None:
        reason = arm.reason() if arm is not None else problem or "no answer"
        return Launched(_failed(runner, plan, "arm", f"cannot write the record: {reason}", started))
    if problem:
        return Launched(_failed(runner, plan, "arm", f"no lease: {problem}", started))
    arm_result = runner.armed_step(plan, armed, started)
    inject = steps.get("inject")
    if inject is None or not inject.ok:
        reason = inject.reason() if inject is not None else "it did not run"
        undo = runner.revert(plan)  # a partial inject must not stay
        note = "reverted" if undo.ok else f"revert UNCONFIRMED: {undo.detail}"
        failed = _failed(runner, plan, "inject", f"{reason}; {note}", started)
        return Launched(arm_result, failed)
    injected = StepResult(runner.host, "inject", plan.fault_id, True)
    verify = steps.get("verify_active")
    if verify is None or not verify.ok:
        reason = verify.reason() if verify is not None else "it did not run"
        detail = f"not in effect: {reason}"
        return Launched(
            arm_result, injected, _failed(runner, plan, "verify_active", detail, started)
        )
    verified = StepResult(
        runner.host, "verify_active", plan.fault_id, True, duration=runner.now() - started
    )
    return Launched(arm_result, injected, verified)


def _failed(
    runner: FaultRunner, plan: FaultPlan, step: StepName, detail: str, started: float
) -> StepResult:
    return StepResult(
        runner.host,
        step,
        plan.fault_id,
        False,
        detail=detail,
        duration=runner.now() - started,
    )


def _tail(lines: Sequence[str]) -> str:
    return lines[-1] if lines else ""
