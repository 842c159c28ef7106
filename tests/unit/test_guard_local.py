"""The host-side guard doing its job on this machine (LocalTransport, a temp state directory,
a file as the fault): timer, lease, kill switch, unconfirmed reverts, leftovers."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gameday.adapters.local import LocalTransport
from gameday.core import guard as guard_mod
from gameday.core.faults import FaultPlan
from gameday.core.guard import GuardPaths, list_records_script, parse_records
from gameday.engine.faultrun import FaultRunner
from tests.runner_tools import LeaseKeeper, revert_everywhere

NOW = 1_800_000_000.0  # the console's wall clock, as the runner hands it to a script


def file_fault(folder: Path, fault_id: str, *, stuck: bool = False) -> FaultPlan:
    """A fault whose effect is a file; `stuck` makes its revert fail to remove it."""
    target = folder / f"effect-{fault_id}"
    return FaultPlan(
        kind="custom",
        fault_id=fault_id,
        host="localhost",
        capability=("true",),
        inject=(f"touch {target}",),
        verify_active=(f"test -f {target}",),
        revert=("true",) if stuck else (f"rm -f {target}",),
        verify_reverted=(f"test ! -e {target}",),
    )


def _sleepers(state: Path) -> list[int]:
    """Pids of dead-man timers still running for this state directory."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(state).encode() in cmdline and b"timer.sh" in cmdline:
            found.append(int(entry.name))
    return found


def _eventually(
    found: Callable[[], list[int]], done: Callable[[list[int]], bool] = bool, limit: float = 5.0
) -> list[int]:
    """`found()` once `done` says so (or the limit passed): arm answers with the timer's pid as
    soon as it is forked, a moment before the timer's own command line shows in /proc."""
    started = time.monotonic()
    result = found()
    while not done(result) and time.monotonic() - started < limit:
        time.sleep(0.01)
        result = found()
    return result


def _process_group(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "state"
    yield folder
    for pid in _sleepers(folder):  # never leave a timer behind, even when a test fails
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def _runner(state: Path, *, lease: float = 1.0, session: str = "s1") -> FaultRunner:
    return FaultRunner(LocalTransport(), session, state_dir=str(state), lease_seconds=lease)


def _wait_gone(path: Path, limit: float) -> float:
    started = time.monotonic()
    while path.exists() and time.monotonic() - started < limit:
        time.sleep(0.01)
    return time.monotonic() - started


def _history(state: Path, expect: str, limit: float = 3.0) -> str:
    """The host's history once it mentions `expect` (the record is dropped just after)."""
    started = time.monotonic()
    text = ""
    while time.monotonic() - started < limit:
        history = state / "history"
        text = history.read_text() if history.exists() else ""
        if expect in text:
            break
        time.sleep(0.01)
    return text


def _records(state: Path) -> list[str]:
    out = LocalTransport().run(list_records_script(GuardPaths(str(state))), timeout=5).stdout
    return [r.fault_id for r in parse_records(out)]


def test_full_life_leaves_nothing_behind(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1")
    runner = _runner(state, lease=5)
    assert runner.check(plan).ok
    armed = runner.arm(plan, 60)
    assert armed.ok, armed.detail
    assert armed.timer == "setsid" and armed.deadline is not None
    assert _records(state) == ["f1"]
    (timer,) = _eventually(lambda: _sleepers(state))
    assert runner.inject(plan).ok
    assert runner.verify_active(plan).ok
    reverted = runner.revert(plan)
    assert reverted.ok and not reverted.unconfirmed
    assert not (tmp_path / "effect-f1").exists()
    assert _records(state) == []
    assert _sleepers(state) == [], "disarm must stop the dead-man timer"
    assert _process_group(timer) == [], "disarm must stop the timer's `sleep` too"
    assert "f1 reverted by console" in (state / "history").read_text()
    runner.close()


def test_inject_is_refused_unless_armed(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1")
    result = _runner(state).inject(plan)
    assert not result.ok and "not armed" in result.detail
    assert not (tmp_path / "effect-f1").exists()


def test_failed_capability_names_the_line_and_reason(tmp_path: Path, state: Path) -> None:
    plan = FaultPlan(
        kind="custom",
        fault_id="f1",
        host="localhost",
        capability=("echo 'tc: netem is not supported by this kernel' >&2; exit 2",),
        inject=(),
        verify_active=(),
        revert=(),
        verify_reverted=(),
    )
    result = _runner(state).check(plan)
    assert not result.ok
    assert "netem is not supported" in result.detail


def test_timer_reverts_at_the_deadline_with_nobody_connected(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1")
    runner = _runner(state, lease=60)
    assert runner.arm(plan, 2).ok and runner.inject(plan).ok
    # the console goes away without closing the lease: only the timer is left
    assert runner.watcher_pid is not None
    os.kill(runner.watcher_pid, signal.SIGKILL)
    waited = _wait_gone(tmp_path / "effect-f1", 6)
    assert not (tmp_path / "effect-f1").exists(), "the dead-man timer did not revert"
    assert 1.0 <= waited <= 4.5
    assert "reverted by timer" in _history(state, "reverted by timer")
    assert _records(state) == []


def test_closing_the_console_side_reverts_at_once(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1")
    runner = _runner(state, lease=30)
    assert runner.arm(plan, 600).ok and runner.inject(plan).ok
    runner.close()  # end of input on the watcher's stdin, as when the console dies
    assert _wait_gone(tmp_path / "effect-f1", 5) < 1.0
    assert "reverted by lease" in _history(state, "reverted by lease")
    assert _sleepers(state) == []


def test_missed_heartbeats_revert_within_the_lease(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1")
    runner = _runner(state, lease=1.0)
    keeper = LeaseKeeper([runner], interval=0.25)
    assert runner.arm(plan, 600).ok and runner.inject(plan).ok
    keeper.start()
    time.sleep(2.0)  # heartbeats keep the fault in place well past the lease
    assert (tmp_path / "effect-f1").exists()
    keeper.stop()  # the console freezes: the channel stays open, but silent
    waited = _wait_gone(tmp_path / "effect-f1", 5)
    assert not (tmp_path / "effect-f1").exists()
    assert waited < 1.0 + 0.5, f"reverted {waited:.2f}s after the last heartbeat"
    started = time.monotonic()
    while runner.heartbeat() and time.monotonic() - started < 3:
        time.sleep(0.05)
    assert runner.heartbeat() is False, "a watcher that gave up must not look alive"
    runner.close()


def test_kill_switch_reverts_every_fault_and_acknowledges(tmp_path: Path, state: Path) -> None:
    # three hosts (a state folder each), each with its own session's fault
    runners = [_runner(state / f"host{i}", lease=30, session=f"s{i}") for i in range(3)]
    plans = [file_fault(tmp_path, f"f{i}") for i in range(3)]
    for runner, plan in zip(runners, plans, strict=True):
        assert runner.arm(plan, 600).ok and runner.inject(plan).ok
    report = revert_everywhere(runners, timeout=10)
    assert report.all_confirmed
    assert {r.via for per in report.outcomes.values() for r in per.values()} == {"watcher"}
    assert not any((tmp_path / f"effect-f{i}").exists() for i in range(3))
    assert report.duration < 1.0
    again = revert_everywhere(runners, timeout=10)  # idempotent: nothing left, nothing fails
    assert again.all_confirmed
    for runner in runners:
        runner.close()


def test_revert_that_cannot_be_confirmed_is_never_success(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1", stuck=True)
    runner = _runner(state, lease=30)
    assert runner.arm(plan, 600).ok and runner.inject(plan).ok
    result = runner.revert(plan)
    assert not result.ok and result.unconfirmed
    assert _records(state) == ["f1"], "an unconfirmed fault keeps its record for sweep"
    assert (state / "faults" / "f1" / "outcome").exists()
    report = revert_everywhere([runner], timeout=10)
    assert not report.all_confirmed
    (tmp_path / "effect-f1").unlink()
    runner.close()


def test_failed_inject_is_reverted_at_once(tmp_path: Path, state: Path) -> None:
    target = tmp_path / "half"
    plan = FaultPlan(
        kind="custom",
        fault_id="f1",
        host="localhost",
        capability=(),
        inject=(f"touch {target}", "echo 'second step broke' >&2; exit 1"),
        verify_active=(f"test -f {target}",),
        revert=(f"rm -f {target}",),
        verify_reverted=(f"test ! -e {target}",),
    )
    runner = _runner(state, lease=30)
    assert runner.arm(plan, 600).ok
    result = runner.inject(plan)
    assert not result.ok
    assert "second step broke" in result.detail and "reverted" in result.detail
    assert not target.exists() and _records(state) == []
    runner.close()


def test_rearming_in_the_same_session_leaves_one_timer(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1")
    runner = _runner(state, lease=30)
    assert runner.arm(plan, 600).ok
    assert runner.arm(plan, 600).ok
    assert len(_eventually(lambda: _sleepers(state), lambda found: len(found) == 1)) == 1
    assert runner.revert(plan).ok
    assert _sleepers(state) == []
    runner.close()


def test_a_record_of_another_session_is_never_overwritten(tmp_path: Path, state: Path) -> None:
    plan = file_fault(tmp_path, "f1", stuck=True)
    first = _runner(state, lease=30, session="old")
    assert first.arm(plan, 600).ok and first.inject(plan).ok
    assert first.revert(plan).unconfirmed  # the old session could not confirm its revert
    first.close()
    second = _runner(state, lease=30, session="new")
    armed = second.arm(plan, 600)
    assert not armed.ok
    assert "session old" in armed.detail and "sweep" in armed.detail
    assert (state / "faults" / "f1" / "session").read_text().strip() == "old"
    (tmp_path / "effect-f1").unlink()
    refused = second.inject(plan)
    assert not refused.ok and "not armed" in refused.detail
    assert not (tmp_path / "effect-f1").exists()
    second.close()
    (tmp_path / "effect-f1").unlink(missing_ok=True)


def test_a_fault_another_session_left_unconfirmed_is_refused_at_the_capability_check(
    tmp_path: Path, state: Path
) -> None:
    """A fault of any id that an ended session could not confirm reverted may still be
    active: the next session's preflight refuses the host and says to sweep it, before
    anything is armed; once it is confirmed gone, the host is taken again."""
    from gameday.engine.sweep import sweep_host

    stuck = file_fault(tmp_path, "f1", stuck=True)
    old = _runner(state, lease=30, session="old")
    assert old.check(stuck).ok and old.arm(stuck, 600).ok and old.inject(stuck).ok
    assert old.revert(stuck).unconfirmed
    old.close()  # its watcher tries once more (unconfirmed again), then its lease goes
    assert _wait_gone(state / "leases" / "old", 5) < 5
    new = _runner(state, lease=30, session="new")
    refused = new.check(file_fault(tmp_path, "f2"))
    assert not refused.ok
    assert "fault f1 of session old is still recorded on this host" in refused.detail
    assert "gameday sweep" in refused.detail and "Nothing was armed" in refused.detail
    assert not (tmp_path / "effect-f2").exists() and _records(state) == ["f1"]
    new.close()
    (tmp_path / "effect-f1").unlink()  # what kept the revert from being confirmed is gone
    swept = sweep_host(LocalTransport(), sudo=False, paths=GuardPaths(str(state)))
    assert swept.reverted == ["f1 (custom, session old)"] and _records(state) == []
    assert _runner(state, lease=30, session="next").check(file_fault(tmp_path, "f3")).ok


def test_a_second_session_arming_on_a_host_just_armed_by_another_is_refused(
    tmp_path: Path, state: Path
) -> None:
    """Two consoles start on the same host at the same moment: both pass preflight (neither
    has armed yet). The second to arm finds the first one's record and arms nothing."""
    first, second = (_runner(state, lease=30, session=s) for s in ("first", "second"))
    theirs, ours = file_fault(tmp_path, "f1"), file_fault(tmp_path, "f2")
    assert first.check(theirs).ok and second.check(ours).ok
    assert first.arm(theirs, 600).ok and first.inject(theirs).ok
    refused = second.arm(ours, 600)
    assert not refused.ok
    assert "fault f1 of session first is recorded on this host" in refused.detail
    assert "nothing was armed" in refused.detail
    assert _records(state) == ["f1"] and not (tmp_path / "effect-f2").exists()
    assert (tmp_path / "effect-f1").exists(), "the first session's fault is left to it"
    second.close()
    first.close()
    assert _wait_gone(state / "leases" / "first", 5) < 5
    again = _runner(state, lease=30, session="third")
    assert again.arm(ours, 600).ok, "once the first session is gone, the host is free"
    assert again.revert(ours).ok
    again.close()


def test_sudo_that_wants_a_password_fails_capability_clearly(
    tmp_path: Path, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    sudo = fake / "sudo"
    sudo.write_text("#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
    sudo.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    runner = FaultRunner(LocalTransport(), "s1", sudo=True, state_dir=str(state))
    plan = file_fault(tmp_path, "f1")
    checked = runner.check(plan)
    assert not checked.ok
    assert "sudo -n needs a password" in checked.detail
    armed = runner.arm(plan, 60)
    assert not armed.ok
    assert not runner.inject(plan).ok
    assert not (tmp_path / "effect-f1").exists()


def test_local_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    from gameday.errors import CommandTimedOut

    marker = tmp_path / "late"
    started = time.monotonic()
    with pytest.raises(CommandTimedOut):
        LocalTransport().run(f"(sleep 2; touch {marker}) & sleep 30", timeout=0.5)
    assert time.monotonic() - started < 2
    time.sleep(2.5)
    assert not marker.exists(), "a child of the timed-out command survived"


def test_local_channel_lines_and_deadlines() -> None:
    from gameday.errors import CommandTimedOut

    channel = LocalTransport().open_channel('while read -r l; do echo "got $l"; done')
    channel.write_line("a")
    assert channel.read_line(5) == "got a"
    with pytest.raises(CommandTimedOut):
        channel.read_line(0.1)
    channel.close()
    started = time.monotonic()
    while channel.is_open() and time.monotonic() - started < 5:
        time.sleep(0.01)
    assert not channel.is_open()


@pytest.mark.parametrize("runner", ["bash", "python3"])
def test_both_watchers_speak_the_same_protocol(
    tmp_path: Path, state: Path, runner: guard_mod.LeaseRunner
) -> None:
    paths = GuardPaths(str(state))
    arm_and_inject = _runner(state, lease=30)
    plans = [file_fault(tmp_path, f"f{i}") for i in range(2)]
    transport = LocalTransport()
    for plan in plans:
        script = guard_mod.arm_script(plan, "s1", 600, paths, now=NOW)
        assert transport.run(guard_mod.as_root(script, sudo=False), timeout=10).ok
        assert transport.run(plan.inject[0], timeout=10).ok
    channel = transport.open_channel(
        guard_mod.watcher_command(runner, "s1", 1.0, paths, sudo=False)
    )
    ready = channel.read_line(10)
    assert ready is not None and ready.startswith("ready ")
    channel.write_line("ping")
    assert channel.read_line(5) == "pong"
    channel.write_line("hb")
    assert channel.read_line(5) == "hb", "the heartbeat is answered: the console hears the host"
    channel.write_line("revert")
    reply = guard_mod.parse_reverted(channel.read_line(10) or "")
    assert reply == guard_mod.WatcherReply(("f0", "f1"), ())
    assert not any((tmp_path / f"effect-f{i}").exists() for i in range(2))
    # a missed lease: re-arm one fault, say nothing, and the watcher reverts it and exits
    script = guard_mod.arm_script(plans[0], "s1", 600, paths, now=NOW)
    assert transport.run(guard_mod.as_root(script, sudo=False), timeout=10).ok
    assert transport.run(plans[0].inject[0], timeout=10).ok
    assert _wait_gone(tmp_path / "effect-f0", 5) < 1.0 + 0.5
    assert channel.read_line(5) is None, "the watcher must exit after its lease ran out"
    channel.close()
    arm_and_inject.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a private mount namespace")
@pytest.mark.parametrize("systemd_run_works", [True, False])
def test_where_systemd_runs_the_timer_is_a_transient_unit(
    tmp_path: Path, state: Path, systemd_run_works: bool
) -> None:
    """systemd is faked inside a private mount namespace (a tmpfs over /run with
    /run/systemd/system, and systemd-run/systemctl stand-ins that log their arguments)."""
    import subprocess

    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "calls"
    for tool, status in (("systemd-run", 0 if systemd_run_works else 1), ("systemctl", 0)):
        script = fake / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\nexit {status}\n')
        script.chmod(0o755)
    plan = file_fault(tmp_path, "f1")
    paths = guard_mod.GuardPaths(str(state))
    steps = (
        guard_mod.arm_script(plan, "s1", 90, paths, now=NOW)
        + "\n"
        + guard_mod.disarm_script("f1", paths)
    )
    inner = (
        "mount -t tmpfs gameday-test /run && mkdir -p /run/systemd/system && "
        f'PATH={fake}:$PATH sh -c "$1" && cat {state}/faults/f1/timer 2>/dev/null; true'
    )
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, "_", steps],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    log = calls.read_text() if calls.exists() else ""
    assert "systemd-run --quiet --collect --unit=gameday-fault-f1 --on-active=90s" in log
    assert f"/bin/sh {state}/faults/f1/fire.sh timer" in log
    if systemd_run_works:
        assert "armed systemd" in result.stdout
        assert "systemctl stop gameday-fault-f1.timer" in log
    else:  # systemd-run refused: the setsid sleeper guards the fault instead
        assert "armed setsid" in result.stdout
        assert "systemctl" not in log


def test_two_reverts_racing_both_report_confirmed(tmp_path: Path, state: Path) -> None:
    """The timer and the watcher may fire at the same instant: neither may cry unconfirmed."""
    import subprocess

    paths = guard_mod.GuardPaths(str(state))
    plan = file_fault(tmp_path, "f1")
    fire = str(state / "faults" / "f1" / "fire.sh")
    for _ in range(10):
        script = guard_mod.arm_script(plan, "s1", 600, paths, now=NOW)
        subprocess.run(["sh", "-c", script], check=True, capture_output=True, timeout=10)
        (tmp_path / "effect-f1").touch()
        racers = [
            subprocess.Popen(["sh", fire, who], stderr=subprocess.DEVNULL)
            for who in ("timer", "lease")
        ]
        statuses = [r.wait(timeout=10) for r in racers]
        record = state / "faults" / "f1"
        # a racer that starts after the other removed the record cannot even open fire.sh:
        # callers read a missing record as confirmed, as the record is removed only then
        assert all(status == 0 for status in statuses) or not record.exists(), statuses
        assert not record.exists(), "a racing revert left part of the record behind"
        assert not (tmp_path / "effect-f1").exists()
    assert "UNCONFIRMED" not in (state / "history").read_text()
    assert _sleepers(state) == []


# --- cleanup: the plan's leftover files go once the revert is confirmed --------------------


def _with_cleanup(plan: FaultPlan, *lines: str) -> FaultPlan:
    from dataclasses import replace

    return replace(plan, cleanup=lines)


def test_a_confirmed_revert_runs_the_cleanup_lines(tmp_path: Path, state: Path) -> None:
    state.mkdir()
    log = state / "f1.log"
    log.write_text("stress-ng said things\n")
    plan = _with_cleanup(file_fault(tmp_path, "f1"), f"rm -f {log}")
    runner = _runner(state, lease=30)
    assert runner.arm(plan, 600).ok and runner.inject(plan).ok
    assert log.exists(), "cleanup must wait for the revert"
    assert runner.revert(plan).ok
    assert not log.exists() and _records(state) == []
    runner.close()


def test_a_failing_cleanup_never_unconfirms_a_revert(tmp_path: Path, state: Path) -> None:
    plan = _with_cleanup(file_fault(tmp_path, "f1"), "echo cannot >&2; exit 7", "false")
    runner = _runner(state, lease=30)
    assert runner.arm(plan, 600).ok and runner.inject(plan).ok
    result = runner.revert(plan)
    assert result.ok and not result.unconfirmed, result.detail
    assert _records(state) == [] and "f1 reverted by console" in (state / "history").read_text()
    runner.close()


def test_an_unconfirmed_revert_keeps_the_files_cleanup_would_remove(
    tmp_path: Path, state: Path
) -> None:
    state.mkdir()
    log = state / "f1.log"
    log.write_text("x\n")
    plan = _with_cleanup(file_fault(tmp_path, "f1", stuck=True), f"rm -f {log}")
    runner = _runner(state, lease=30)
    assert runner.arm(plan, 600).ok and runner.inject(plan).ok
    assert runner.revert(plan).unconfirmed
    assert log.exists(), "revert and verify_reverted may still need the fault's files"
    (tmp_path / "effect-f1").unlink()
    assert runner.revert(plan).ok and not log.exists()
    runner.close()


def test_the_dead_man_timer_cleans_up_too(tmp_path: Path, state: Path) -> None:
    state.mkdir()
    log = state / "f1.log"
    log.write_text("x\n")
    plan = _with_cleanup(file_fault(tmp_path, "f1"), f"rm -f {log}")
    runner = _runner(state, lease=60)
    assert runner.arm(plan, 1).ok and runner.inject(plan).ok
    assert runner.watcher_pid is not None
    os.kill(runner.watcher_pid, signal.SIGKILL)  # only the timer is left
    assert "reverted by timer" in _history(state, "reverted by timer", limit=6)
    assert _wait_gone(log, 2) < 2 and not log.exists()


def test_a_revert_without_record_cleans_up_only_when_confirmed(tmp_path: Path) -> None:
    """An arm cut short leaves no fire.sh: revert_script runs the plan's own lines."""
    paths = GuardPaths(str(tmp_path / "state"))
    log = tmp_path / "f1.log"
    effect = tmp_path / "effect-f1"
    plan = _with_cleanup(file_fault(tmp_path, "f1"), f"rm -f {log}", "exit 9")
    for stuck, status, log_left in ((True, guard_mod.UNCONFIRMED_STATUS, True), (False, 0, False)):
        log.write_text("x\n")
        effect.touch()
        body = replace_revert(plan, "true") if stuck else plan
        result = LocalTransport().run(guard_mod.revert_script(body, paths), timeout=10)
        assert result.status == status, result.stderr
        assert log.exists() is log_left
        effect.unlink(missing_ok=True)


def replace_revert(plan: FaultPlan, *lines: str) -> FaultPlan:
    from dataclasses import replace

    return replace(plan, revert=lines)


# --- traces beyond the records: a paused process and an io directory, for real ------------


def test_sweep_traces_resume_a_paused_process_and_remove_an_io_dir(tmp_path: Path) -> None:
    """Only this test's traces are cleared: the scan sees the whole machine, so what it found
    elsewhere (other tests' fill files in /tmp, say) is filtered out before clearing."""
    import subprocess

    paths = GuardPaths(str(tmp_path / "state"))
    area = tmp_path / "area"
    io = area / ".gameday-io-f1"
    (io / "sub").mkdir(parents=True)
    (io / "sub" / "data").write_bytes(b"x" * 4096)
    (tmp_path / "state").mkdir()
    record = tmp_path / "state" / "f1.paused"
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        os.kill(sleeper.pid, signal.SIGSTOP)
        record.write_text(f"{sleeper.pid}\n999999999\n")

        def mine() -> list[guard_mod.Trace]:
            script = guard_mod.traces_script(paths, [str(area)])
            out = LocalTransport().run(script, timeout=30).stdout
            return [t for t in guard_mod.parse_traces(out) if str(tmp_path) in t.detail]

        _wait_state(sleeper.pid, "T")
        found = mine()
        assert found == [
            guard_mod.Trace("iodir", str(io)),
            guard_mod.Trace("paused", f"{sleeper.pid} {record}"),
        ]
        for _ in range(2):  # clearing is idempotent
            cleared = LocalTransport().run(guard_mod.clear_traces_script(found, paths), timeout=30)
            assert cleared.status == 0, cleared.stderr
        assert mine() == []
        assert _state(sleeper.pid) != "T" and not record.exists() and not io.exists()
        assert sleeper.poll() is None, "resumed, not killed"
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1]


def _wait_state(pid: int, letter: str) -> None:
    started = time.monotonic()
    while _state(pid) != letter and time.monotonic() - started < 3:
        time.sleep(0.01)


@pytest.mark.parametrize("watcher", ["bash", "python3"])
def test_a_host_held_by_another_live_session_is_refused_at_the_capability_check(
    tmp_path: Path, state: Path, watcher: guard_mod.LeaseRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gameday.core.guard import holders

    real_parse = guard_mod.parse_probe

    def forced(stdout: str) -> guard_mod.GuardCapability:
        capability = real_parse(stdout)  # the same host, with the watcher under test
        return dataclasses.replace(capability, lease_runner=watcher)

    monkeypatch.setattr(guard_mod, "parse_probe", forced)
    first = FaultRunner(
        LocalTransport(),
        "s1",
        state_dir=str(state),
        lease_seconds=30,
        holder=holders.holder_text("web-cpu", 1795900000, "jump-1", "alice"),
    )
    plan = file_fault(tmp_path, "f1")
    assert first.check(plan).ok and first.arm(plan, 600).ok and first.inject(plan).ok
    second = _runner(state, session="s2")
    refused = second.check(file_fault(tmp_path, "f2"))
    assert not refused.ok
    assert "held by another live session: session s1 (scenario web-cpu" in refused.detail
    assert "from machine jump-1 as user alice" in refused.detail
    assert "sweep" not in refused.detail.replace("do not sweep", ""), "never advise a sweep"
    assert first.check(plan).ok, "a session is never refused by its own lease"
    first.close()  # the watcher reverts, then its lease file goes (the folder stays)
    assert _wait_gone(state / "leases" / "s1", 5) < 5
    assert (state / "leases").is_dir(), "the next watcher need not make the folder again"
    assert _runner(state, session="s3").check(file_fault(tmp_path, "f3")).ok


def test_sweep_leaves_a_live_sessions_faults_alone_and_says_so(tmp_path: Path, state: Path) -> None:
    from gameday.commands.sweep import describe
    from gameday.engine.sweep import sweep_host

    live = _runner(state, lease=30)
    plan = file_fault(tmp_path, "f1")
    assert live.check(plan).ok and live.arm(plan, 600).ok and live.inject(plan).ok
    # no --force: the traces scan is never reached, so nothing outside `state` is looked at
    result = sweep_host(LocalTransport(), sudo=False, paths=GuardPaths(str(state)))
    assert (tmp_path / "effect-f1").exists(), "the live session's fault is still in effect"
    assert not result.clean and not result.reverted
    report = describe(result)
    assert "f1 (custom, session s1): left alone: session s1" in report
    assert "sweep --force reverts it anyway" in report and "clean" not in report.split("\n")[0]
    live.close()
