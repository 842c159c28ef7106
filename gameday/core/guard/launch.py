"""A launch in two round trips per host (pure): one preflight script (the guard's probe and
every capability line of a fault), and one script that arms, injects and verifies a fault and
then becomes the session's lease watcher, on the watcher's own channel.

Each step's output (stdout and stderr together) is followed by a marker line
`gameday-step <step> <status>`, so one read of the channel tells every step's outcome; the
watcher then prints its `ready <pid>` line as always. A step only runs when the one before it
succeeded; the watcher starts in any case (a failed arm leaves nothing for it to revert).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gameday.core.faults import FaultPlan
from gameday.core.guard.base import GuardPaths, all_succeed, as_root, own_lines, own_step
from gameday.core.guard.capability import probe_script
from gameday.core.guard.scripts import arm_script

MARK = "gameday-step"

SHELL = "sh -s"
"""The session's shell on a host, opened with the connection: it reads scripts on its input —
the preflight, then the launch, whose last line makes it the lease watcher — so a launch needs
no connection set-up, no new session and no login shell of its own."""

END = "gameday-end"
"""The line (`gameday-end <status>`) the session's shell prints after each request."""


@dataclass(frozen=True)
class StepOutput:
    """One step of a combined script: its exit status and what it printed (both streams)."""

    status: int
    lines: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.status == 0

    def reason(self) -> str:
        """The last non-empty line it printed, or its exit status."""
        for line in reversed(self.lines):
            if line.strip():
                return line.strip()
        return f"exit status {self.status}"


def _isolated(script: str, *, sudo: bool) -> str:
    """`script` in its own shell, so its `exit` and `set -e` end only it: under `sudo -n sh -c`
    when asked, else a subshell of the launch's own shell (a fork, not a new `sh` started:
    every host runs this at once, on machines that may be busy)."""
    return as_root(script, sudo=True) if sudo else f"(\n{script}\n)"


def _lines_step(kind: str, lines: Sequence[str]) -> str:
    """`lines` in order, stopping at the first that fails, in a subshell of their own: one
    line is its own subshell (`own_step`), not a subshell within one."""
    if len(lines) == 1:
        return own_step(kind, lines[0])
    return _isolated(all_succeed(own_lines(kind, lines)), sudo=False)


def _step(name: str, command: str, *, last: bool = False) -> str:
    """Run `command` (no input, both streams to ours), print its marker, and end the script
    there unless it succeeded (or it is the last step)."""
    stop = "" if last else "; [ $rc -eq 0 ] || exit 0"
    return f"{{ {command}\n}} </dev/null 2>&1; rc=$?; echo {MARK} {name} $rc{stop}"


def shell_request(script: str) -> str:
    """`script` as one request to the session's shell: in a subshell (its `exit` and `set -e`
    end only it) that cannot read the shell's input (the next request), then END."""
    return f"(\n{script}\n) </dev/null 2>&1\necho {END} $?"


def parse_end(line: str) -> int | None:
    """The request's exit status from the session shell's END line; None for another line."""
    words = line.split()
    if len(words) == 2 and words[0] == END and _is_status(words[1]):
        return int(words[1])
    return None


def preflight_script(plan: FaultPlan, paths: GuardPaths, *, sudo: bool, probe: bool) -> str:
    """The guard's probe (as root, when `probe`), then the plan's capability lines, each its
    own step (`probe`, `cap0`, `cap1`, …), stopping at the first that fails. Changes nothing
    on the host but creating the state directory."""
    steps = [("probe", _isolated(probe_script(paths), sudo=sudo))] if probe else []
    steps += [(f"cap{i}", own_step(plan.kind, line)) for i, line in enumerate(plan.capability)]
    if not steps:
        return "true"
    return "\n".join(
        _step(name, command, last=i == len(steps) - 1) for i, (name, command) in enumerate(steps)
    )


def launch_script(
    plan: FaultPlan,
    session_id: str,
    seconds: float,
    paths: GuardPaths,
    *,
    sudo: bool,
    now: float,
    then: str = "",
) -> str:
    """Arm (as root), inject, verify active — each step only after the one before succeeded —
    then `then` (the watcher's command line, run with `exec`) whatever happened. `now` is
    the console's wall clock (see arm_script).

    Raises ValueError (from arm_script) for an unsafe id, kind or duration.
    """
    arm = _isolated(arm_script(plan, session_id, seconds, paths, now=now), sudo=sudo)
    steps = [
        ("arm", arm),
        ("inject", _lines_step(plan.kind, plan.inject)),
        ("verify_active", _lines_step(plan.kind, plan.verify_active)),
    ]
    lines: list[str] = []
    for name, command in steps:
        body = f"{{ {command}\n}} </dev/null 2>&1; rc=$?; echo {MARK} {name} $rc"
        lines.append(body if name == "arm" else f"if [ $rc -eq 0 ]; then {body}; fi")
    if then:
        lines.append(f"exec {then}")
    return "\n".join(lines)


def parse_steps(lines: Sequence[str]) -> dict[str, StepOutput]:
    """Each step's status and output from the lines a combined script printed (lines after the
    last marker belong to no step and are left out)."""
    found: dict[str, StepOutput] = {}
    pending: list[str] = []
    for line in lines:
        words = line.split()
        if len(words) == 3 and words[0] == MARK and _is_status(words[2]):
            found[words[1]] = StepOutput(int(words[2]), tuple(pending))
            pending = []
        else:
            pending.append(line)
    return found


def _is_status(text: str) -> bool:
    return text.isdigit() and int(text) < 256
