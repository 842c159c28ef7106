"""A launch in two round trips, on this machine (LocalTransport, a temp state directory, a file
as the fault): one preflight, then a launch that arms, injects, verifies and becomes the lease
watcher; both over the session's shell when the host was prepared as it connected."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from gameday.adapters.local import LocalTransport
from gameday.core.faults import FaultPlan
from gameday.core.guard import launch
from gameday.core.guard.base import GuardPaths
from gameday.engine.drivers import PREPARED_FOR, RunnerDriver
from gameday.engine.faultrun import FaultRunner
from gameday.engine.ports import Channel, CommandResult

NOW = 1_800_000_000.0  # the console's wall clock, as the runner hands it to a script


class CountingTransport(LocalTransport):
    """A LocalTransport that counts what the engine asks of the host."""

    def __init__(self) -> None:
        super().__init__()
        self.commands = 0
        self.channels = 0

    def run(self, command: str, *, timeout: float, stdin: str | None = None) -> CommandResult:
        self.commands += 1
        return super().run(command, timeout=timeout, stdin=stdin)

    def open_channel(self, command: str) -> Channel:
        self.channels += 1
        return super().open_channel(command)


def _fault(folder: Path) -> FaultPlan:
    effect = folder / "effect"
    return FaultPlan(
        kind="custom",
        fault_id="f1",
        host="localhost",
        capability=("true", f"test -d {folder}"),
        inject=(f"touch {effect}",),
        verify_active=(f"test -f {effect}",),
        revert=(f"rm -f {effect}",),
        verify_reverted=(f"test ! -e {effect}",),
    )


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "state"
    yield folder
    for pid_file in folder.glob("faults/*/timer.pid"):  # never leave a timer behind
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pid_file.read_text().strip()), signal.SIGKILL)


def _driver(state: Path) -> tuple[RunnerDriver, CountingTransport]:
    transport = CountingTransport()
    runner = FaultRunner(transport, "s1", state_dir=str(state), lease_seconds=30)
    return RunnerDriver(runner), transport


def test_a_launch_is_one_command_then_one_channel(tmp_path: Path, state: Path) -> None:
    plan = _fault(tmp_path)
    driver, transport = _driver(state)
    assert driver.check(plan).ok
    assert (transport.commands, transport.channels) == (1, 0), "probe + capability: one command"
    armed = driver.arm(plan, deadline=driver._clock() + 600)
    assert armed.ok and armed.timer == "setsid", armed.detail
    assert armed.injected, "the arm's round trip injected and verified too"
    assert driver.inject(plan).ok
    assert (transport.commands, transport.channels) == (1, 1), "arm + inject + verify: one channel"
    assert (tmp_path / "effect").exists()
    assert driver.runner.watcher_pid is not None, "the launch's channel became the watcher"
    outcomes = driver.send_revert([plan], "kill_switch").gather(driver._clock() + 10)
    assert outcomes["f1"].ok and not (tmp_path / "effect").exists()
    driver.close()


def test_a_failed_capability_line_is_named_with_its_reason(tmp_path: Path, state: Path) -> None:
    plan = replace(_fault(tmp_path), capability=("true", "echo 'no tc here' >&2; exit 1"))
    driver, _ = _driver(state)
    outcome = driver.check(plan)
    assert not outcome.ok and outcome.detail == "no tc here"
    driver.close()


def test_a_failed_inject_is_reverted_at_once_and_never_verified(
    tmp_path: Path, state: Path
) -> None:
    half = tmp_path / "half"
    plan = replace(
        _fault(tmp_path),
        inject=(f"touch {half}", "echo 'second step broke' >&2; exit 1"),
        revert=(f"rm -f {half}",),
        verify_reverted=(f"test ! -e {half}",),
    )
    driver, _ = _driver(state)
    assert driver.check(plan).ok
    assert driver.arm(plan, deadline=driver._clock() + 600).ok
    outcome = driver.inject(plan)
    assert not outcome.ok and outcome.detail == "second step broke; reverted"
    assert not half.exists() and not (state / "faults" / "f1").exists()
    driver.close()


def test_a_refused_arm_injects_nothing(tmp_path: Path, state: Path) -> None:
    plan = _fault(tmp_path)
    other = FaultRunner(LocalTransport(), "s0", state_dir=str(state), lease_seconds=30)
    assert RunnerDriver(other).arm(plan, deadline=other.now() + 600).ok  # another session's
    (tmp_path / "effect").unlink()
    driver, _ = _driver(state)
    outcome = driver.arm(plan, deadline=driver._clock() + 600)
    assert (
        not outcome.ok and "if that session is still running, wait for it to end" in outcome.detail
    )
    assert not (tmp_path / "effect").exists(), "nothing may be injected without its record"
    other.close()
    driver.close()


def test_the_steps_are_read_from_their_markers() -> None:
    lines = ["armed setsid 100", "gameday-step arm 0", "oops", "gameday-step inject 1", "tail"]
    steps = launch.parse_steps(lines)
    assert steps["arm"].ok and steps["arm"].lines == ("armed setsid 100",)
    assert not steps["inject"].ok and steps["inject"].reason() == "oops"
    assert "verify_active" not in steps


def test_a_step_ends_only_itself_and_starts_no_shell_of_its_own(tmp_path: Path) -> None:
    """Each step is a subshell of the launch's one `sh` (no `sh -c` per step unless sudo
    needs one): an `exit` in a line ends its step, not the script."""
    plan = replace(_fault(tmp_path), capability=("exit 0", f"test -d {tmp_path}"))
    paths = GuardPaths(str(tmp_path / "state"))
    script = launch.launch_script(plan, "s1", 60, paths, sudo=False, now=NOW)
    assert "sh -c" not in script
    assert "sudo -n sh -c" in launch.launch_script(plan, "s1", 60, paths, sudo=True, now=NOW)
    preflight = launch.preflight_script(plan, paths, sudo=False, probe=True)
    assert "sh -c" not in preflight
    ran = LocalTransport().run(f"sh -c {shlex.quote(preflight)}", timeout=20)
    assert {
        name: step.status for name, step in launch.parse_steps(ran.stdout.splitlines()).items()
    } == {
        "probe": 0,
        "cap0": 0,
        "cap1": 0,
    }


def test_a_prepared_host_runs_preflight_and_launch_over_one_channel(
    tmp_path: Path, state: Path
) -> None:
    plan = _fault(tmp_path)
    driver, transport = _driver(state)
    driver.prepare([plan])  # as the host connects: the session's shell, then the preflight
    assert (transport.commands, transport.channels) == (0, 1)
    assert driver.check(plan).ok
    armed = driver.arm(plan, deadline=driver._clock() + 600)
    assert armed.ok and armed.injected, armed.detail
    assert driver.inject(plan).ok and (tmp_path / "effect").exists()
    assert (transport.commands, transport.channels) == (0, 1), "no second connection set-up"
    assert driver.runner.watcher_pid is not None, "the session's shell became the watcher"
    outcomes = driver.send_revert([plan], "kill_switch").gather(driver._clock() + 10)
    assert outcomes["f1"].ok and not (tmp_path / "effect").exists()
    driver.close()


def test_the_session_shell_outlives_a_failed_preflight_and_takes_the_next(
    tmp_path: Path, state: Path
) -> None:
    transport = CountingTransport()
    runner = FaultRunner(transport, "s1", state_dir=str(state), lease_seconds=30)
    runner.open_shell()
    refused = runner.check(replace(_fault(tmp_path), capability=("echo 'no tc here'; exit 3",)))
    assert not refused.ok and refused.detail == "no tc here"
    assert runner.check(_fault(tmp_path)).ok
    assert (transport.commands, transport.channels) == (0, 1)
    runner.close()
    assert runner.shell is None


def test_a_launch_whose_shell_is_gone_opens_a_channel_of_its_own(
    tmp_path: Path, state: Path
) -> None:
    plan = _fault(tmp_path)
    driver, transport = _driver(state)
    driver.prepare([plan])
    assert driver.runner.shell is not None
    driver.runner.shell.close()  # say, the host's `sh` was killed after the preflight
    armed = driver.arm(plan, deadline=driver._clock() + 600)
    assert armed.ok and armed.injected, armed.detail
    assert transport.channels == 2 and driver.inject(plan).ok
    assert driver.send_revert([plan], "kill_switch").gather(driver._clock() + 10)["f1"].ok
    driver.close()


def test_a_preflight_taken_too_long_before_the_session_asks_is_taken_again(
    tmp_path: Path, state: Path
) -> None:
    now = [1000.0]
    transport = CountingTransport()
    runner = FaultRunner(transport, "s1", state_dir=str(state), lease_seconds=30)
    driver = RunnerDriver(runner, clock=lambda: now[0])
    plan = _fault(tmp_path)
    driver.prepare([plan])
    now[0] += PREPARED_FOR + 1
    (tmp_path / "gone").mkdir()
    later = replace(plan, capability=(f"test ! -d {tmp_path / 'gone'}",))
    assert not driver.check(later).ok, "the host changed: the answer is taken again"
    driver.close()
