"""`fire.sh` on this machine: what it starts before it answers, and what a crash between its
answer and its tidy-up leaves (a record that `gameday sweep` finishes)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gameday.core import guard
from gameday.core.faults import FaultPlan

NOW = 1_800_000_000.0  # the console's wall clock, as the runner hands it to a script


def _plan(folder: Path) -> FaultPlan:
    effect = folder / "effect"
    return FaultPlan(
        kind="custom",
        fault_id="f1",
        host="localhost",
        capability=(),
        inject=(f"touch {effect}",),
        verify_active=(f"test -f {effect}",),
        revert=(f"rm -f {effect}",),
        verify_reverted=(f"test ! -e {effect}",),
        cleanup=(f"rm -f {folder / 'leftover'}",),
    )


def _sh(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=20)


def _armed(tmp_path: Path) -> tuple[FaultPlan, guard.GuardPaths, Path]:
    plan = _plan(tmp_path)
    paths = guard.GuardPaths(str(tmp_path / "state"))
    armed = _sh(guard.arm_script(plan, "s1", 600, paths, now=NOW))
    assert armed.returncode == 0 and "armed setsid" in armed.stdout, armed.stderr
    (tmp_path / "effect").touch()
    (tmp_path / "leftover").touch()
    return plan, paths, Path(paths.fault_dir("f1"))


def _timer_alive(record: Path) -> bool:
    pid = (record / "timer.pid").read_text().strip()
    return Path(f"/proc/{pid}").exists()


def _stop_timer(pid: str) -> None:
    if Path(f"/proc/{pid}").exists():
        os.killpg(int(pid), 15)


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_before_its_answer_fire_starts_only_the_lock_and_the_plans_own_lines(
    tmp_path: Path,
) -> None:
    _, _, record = _armed(tmp_path)
    pid = (record / "timer.pid").read_text().strip()
    trace = tmp_path / "trace"
    fire = (str(record / "fire.sh"), "kill-switch", "answer")
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(trace), "sh", *fire],
        capture_output=True,
        text=True,
        timeout=20,
    )
    if done.returncode != 0 and "ptrace" in done.stderr:
        pytest.skip("ptrace is not allowed here")
    assert done.returncode == 0, done.stderr
    started = [
        line.split('execve("', 1)[1].split('"', 1)[0].rsplit("/", 1)[-1]
        for line in trace.read_text().splitlines()
        if "execve(" in line and line.rstrip().endswith("= 0")
    ]
    # sh itself, the lock, the plan's revert (`rm`); `test` is the shell's own
    assert started == ["sh", "flock", "rm"], started
    assert not (tmp_path / "effect").exists()
    _stop_timer(pid)


def test_a_crash_between_answer_and_tidy_leaves_a_record_that_sweep_finishes(
    tmp_path: Path,
) -> None:
    _, paths, record = _armed(tmp_path)
    answered = _sh(f"sh {record}/fire.sh kill-switch answer")  # then the host "crashes"
    assert answered.returncode == 0
    # the fault is gone; its record, mark, timer and leftovers stay; history says nothing yet
    assert not (tmp_path / "effect").exists()
    assert (record / "confirmed").exists() and _timer_alive(record)
    assert (tmp_path / "leftover").exists()
    assert not Path(paths.history).exists()
    records = guard.parse_records(_sh(guard.list_records_script(paths)).stdout)
    assert [r.fault_id for r in records] == ["f1"] and not records[0].unconfirmed
    pid = (record / "timer.pid").read_text().strip()
    swept = _sh(guard.sweep_record_script("f1", paths))
    assert swept.returncode == 0, swept.stderr
    assert not record.exists() and not (tmp_path / "leftover").exists()
    assert "f1 reverted by sweep" in Path(paths.history).read_text()
    assert _gone(pid), "the timer must be stopped"


def test_tidy_without_a_confirmed_answer_changes_nothing(tmp_path: Path) -> None:
    _, _, record = _armed(tmp_path)
    pid = (record / "timer.pid").read_text().strip()
    tidy = _sh(f"sh {record}/fire.sh kill-switch tidy")
    assert tidy.returncode == guard.UNCONFIRMED_STATUS
    assert record.exists() and _timer_alive(record) and (tmp_path / "effect").exists()
    _stop_timer(pid)


def test_a_fresh_arm_is_never_tidied_away_by_the_last_reverts_late_tidy(tmp_path: Path) -> None:
    plan, paths, record = _armed(tmp_path)
    assert _sh(f"sh {record}/fire.sh kill-switch answer").returncode == 0
    old = (record / "timer.pid").read_text().strip()
    rearmed = _sh(guard.arm_script(plan, "s1", 600, paths, now=NOW))  # before the watcher tidied
    assert rearmed.returncode == 0, rearmed.stderr
    late = _sh(f"sh {record}/fire.sh kill-switch tidy")
    assert late.returncode == guard.UNCONFIRMED_STATUS
    assert (record / "fire.sh").exists() and _timer_alive(record)
    new = (record / "timer.pid").read_text().strip()
    assert new != old and _gone(old), "re-arming stops the earlier timer"
    _stop_timer(new)


def _gone(pid: str, limit: float = 3.0) -> bool:
    """The process ended (or is a zombie) within `limit` seconds: SIGTERM takes a moment."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if not Path(f"/proc/{pid}").exists() or _zombie(pid):
            return True
        time.sleep(0.02)
    return False


def _zombie(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_watcher_reverts_through_its_runner_once_it_has_answered(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    with _traced_watcher(tmp_path, trace) as talk:
        time.sleep(0.3)
        assert _RUNNER not in trace.read_text(), "the runner waits for the first line"
        assert talk("hb") == "hb\n"
        _wait_for(lambda: _RUNNER in trace.read_text(), 5)
        before = len(trace.read_text().splitlines())
        assert talk("revert") == "reverted ok=f1 unconfirmed=\n"
    started = _programs(trace.read_text().splitlines()[before:])
    # the fault's revert ran in a fork of the runner: the lock and the plan's `rm`, no new sh
    assert started[:2] == ["flock", "rm"], started
    assert "sh" not in started[: started.index("rm") + 1]
    assert not (tmp_path / "effect").exists()


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_revert_before_the_runner_runs_in_a_new_shell(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    with _traced_watcher(tmp_path, trace) as talk:
        before = len(trace.read_text().splitlines())
        assert talk("revert") == "reverted ok=f1 unconfirmed=\n"
    started = _programs(trace.read_text().splitlines()[before:])
    assert started[:3] == ["sh", "flock", "rm"], started
    assert not (tmp_path / "effect").exists()


_RUNNER = 'sh", ["sh", "-s"]'
"""The runner's start in an execve trace."""


@contextlib.contextmanager
def _traced_watcher(tmp_path: Path, trace: Path) -> Iterator[Callable[[str], str]]:
    """Fault f1 armed, and a bash watcher of its session under `strace -f` (its execve calls
    in `trace`), once it said `ready`; yields a function that writes a line and returns the
    watcher's answer. The fault's timer is stopped at the end."""
    _, paths, record = _armed(tmp_path)
    timer = (record / "timer.pid").read_text().strip()
    command = guard.watcher_command("bash", "s1", 30, paths, sudo=False)
    watcher = subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(trace), "sh", "-c", command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdin is not None and watcher.stdout is not None
    stdin, stdout = watcher.stdin, watcher.stdout

    def talk(line: str) -> str:
        stdin.write(line + "\n")
        stdin.flush()
        return stdout.readline()

    try:
        assert stdout.readline().startswith("ready ")
        yield talk
    finally:
        stdin.close()
        watcher.wait(20)
        _stop_timer(timer)


def _programs(lines: list[str]) -> list[str]:
    return [
        line.split('execve("', 1)[1].split('"', 1)[0].rsplit("/", 1)[-1]
        for line in lines
        if "execve(" in line and line.rstrip().endswith("= 0")
    ]


def _wait_for(ready: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not ready():
        assert time.monotonic() < deadline, "not within the limit"
        time.sleep(0.02)
