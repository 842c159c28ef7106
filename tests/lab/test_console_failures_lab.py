"""The console's own failures on the real lab: its path to a host cut for good, a second
session on a busy host, a frozen console. Each runs the real `gameday` command in a
subprocess and waits on the journal's events, never on fixed sleeps."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.lab import LabInfo

pytestmark = pytest.mark.lab

GAMEDAY = [sys.executable, "-m", "gameday.cli"]


def _scenario(tmp_path: Path, name: str, host: str, *, rollback: str = "") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"""
id: {name}
title: The console loses {host}
hypothesis: n/a
targets: {{select: {{hosts: [{host}]}}}}
steady_state:
  interval: 1s
  probes:
    - {{name: load, system: load, max: 1000}}
faults:
  - {{kind: disk_fill, path: /var/tmp, size: 8M, keep_free: 1M}}
schedule: {{duration: 5m, cooldown: 60s}}
{rollback}
"""
    )
    return path


def _argv(lab: LabInfo, scenario: Path, journals: Path) -> list[str]:
    return [
        *GAMEDAY, "run", str(scenario), "-i", str(lab.inventory), "--headless", "--yes",
        "--journal-dir", str(journals),
    ]  # fmt: skip


def _events(journals: Path) -> list[ev.Event]:
    found = sorted(journals.glob("*.jsonl")) if journals.exists() else []
    return list(read_journal(found[0]).events) if found else []


def _console(lab: LabInfo, scenario: Path, journals: Path) -> subprocess.Popen[str]:
    """`gameday run` of `scenario` in the background, its output kept for the assertions."""
    return subprocess.Popen(
        _argv(lab, scenario, journals), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_injected(journals: Path, what: str = "the fault was injected") -> None:
    _wait_for(lambda: any(isinstance(e, ev.FaultInjected) for e in _events(journals)), 60, what)


def _wait_for(condition: Callable[[], object], limit: float, what: str) -> float:
    """Seconds until `condition()` is true (polled every 0.1 s), failing after `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {limit:g}s")


def _fill_files(lab: LabInfo, host: str) -> list[str]:
    listing = subprocess.run(
        lab.host(host).enter("sh", "-c", "ls -a /var/tmp"),
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return [name for name in listing.stdout.split() if name.startswith(".gameday-fill-")]


def _link(lab: LabInfo, host: str, state: str) -> None:
    index = host.rsplit("-", 1)[1]
    subprocess.run(["ip", "link", "set", f"{lab.name}-v{index}", state], check=True, timeout=10)


def test_a_path_cut_for_good_ends_the_session_in_bounds_and_says_what_to_do(
    lab: LabInfo, tmp_path: Path
) -> None:
    rollback = "rollback:\n  - {name: tidy, host: lab-2, run: 'true'}\n"
    scenario = _scenario(tmp_path, "cut-for-good", "lab-2", rollback=rollback)
    journals = tmp_path / "journals"
    console = _console(lab, scenario, journals)
    try:
        _wait_injected(journals)
        _link(lab, "lab-2", "down")
        cut = time.monotonic()
        lost_in = _wait_for(
            lambda: any(isinstance(e, ev.HostLost) for e in _events(journals)),
            15,
            "the console said the lease was lost",
        )
        out, err = console.communicate(timeout=40)
        ended_in = time.monotonic() - cut
    finally:
        if console.poll() is None:
            console.kill()
            console.wait(10)
        _link(lab, "lab-2", "up")
    print(f"path cut for good: lease lost after {lost_in:.1f}s, session ended {ended_in:.1f}s")
    assert lost_in <= 3.0 + 1.0 + 1.5, f"lease lost said after {lost_in:.1f}s"
    assert ended_in <= 30.0, f"the session ended {ended_in:.1f}s after the cut"
    assert console.returncode in (3, 4), out + err
    assert err == "", f"nothing but gameday's own lines: {err!r}"
    assert "Traceback" not in out and "paramiko" not in out
    assert "LEASE LOST lab-2: no answer for" in out and "not confirmed" in out
    assert "gameday recover" in out.strip().splitlines()[-1]
    events = _events(journals)
    abort = next(e for e in events if isinstance(e, ev.AbortTriggered))
    assert abort.rule == "lease lost"
    assert not any(isinstance(e, ev.PhaseChanged) and e.phase == "cooldown" for e in events)
    # the host reverted by itself, and once the path is back `recover` confirms it
    _wait_for(lambda: not _fill_files(lab, "lab-2"), 15, "the host's lease reverted the fault")
    (journal,) = journals.glob("*.jsonl")
    recover = subprocess.run(
        [*GAMEDAY, "recover", str(journal)], capture_output=True, text=True, timeout=60, check=False
    )
    assert recover.returncode == 0, recover.stdout + recover.stderr


def test_a_second_session_on_a_busy_host_is_refused_at_preflight_naming_the_first(
    lab: LabInfo, tmp_path: Path
) -> None:
    first_journals, second_journals = tmp_path / "first", tmp_path / "second"
    first = subprocess.Popen(
        _argv(lab, _scenario(tmp_path, "holder", "lab-3"), first_journals),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_injected(first_journals, "the first session injected")
        holder = _events(first_journals)[0]
        assert isinstance(holder, ev.SessionStarted)
        second = subprocess.run(
            _argv(lab, _scenario(tmp_path, "intruder", "lab-3"), second_journals),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        sweep = subprocess.run(
            [*GAMEDAY, "sweep", "-i", str(lab.inventory), "lab-3"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        still_there = _fill_files(lab, "lab-3")
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(60)
    assert second.returncode == 2, second.stdout + second.stderr
    said = second.stdout
    assert f"held by another live session: session {holder.session_id}" in said
    assert "scenario holder, since" in said and "from machine" in said and "as user" in said
    assert "run gameday sweep" not in said
    assert not any(isinstance(e, ev.FaultArmed) for e in _events(second_journals))
    assert sweep.returncode == 4, sweep.stdout + sweep.stderr
    assert "left alone" in sweep.stdout and "sweep --force" in sweep.stdout
    assert still_there, "neither the second session nor sweep touched the first one's fault"
    assert first.returncode == 3
    assert not _fill_files(lab, "lab-3")


def test_a_frozen_console_loses_its_lease_and_ends_by_itself_once_thawed(
    lab: LabInfo, tmp_path: Path
) -> None:
    journals = tmp_path / "journals"
    console = _console(lab, _scenario(tmp_path, "frozen", "lab-1"), journals)
    try:
        _wait_injected(journals)
        console.send_signal(signal.SIGSTOP)
        try:
            _wait_for(lambda: not _fill_files(lab, "lab-1"), 15, "the host's lease reverted it")
        finally:
            console.send_signal(signal.SIGCONT)
        thawed = time.monotonic()
        out, err = console.communicate(timeout=40)
        ended_in = time.monotonic() - thawed
    finally:
        if console.poll() is None:
            console.kill()
            console.wait(10)
    assert ended_in < 30, f"the session ended {ended_in:.1f}s after it was thawed"
    assert console.returncode == 3, out + err  # the revert was confirmed over the live connection
    events = _events(journals)
    abort = next(e for e in events if isinstance(e, ev.AbortTriggered))
    assert abort.rule == "lease lost"
    assert all(e.verified for e in events if isinstance(e, ev.FaultReverted))
    assert err == ""


def test_when_the_path_heals_the_console_confirms_the_lost_host_in_the_background(
    lab: LabInfo, tmp_path: Path
) -> None:
    import threading

    from gameday.app.live_backend import LiveBackend
    from gameday.ui.runner import SessionRunner

    journals = tmp_path / "journals"
    scenario = _scenario(tmp_path, "heals-later", "lab-2")
    backend = LiveBackend(inventory=lab.inventory, scenario_dir=tmp_path, journal_dir=journals)
    runner = SessionRunner(backend, backend.plan(str(scenario)))
    seen: list[ev.Event] = []
    runner.on_event = seen.append
    worker = threading.Thread(target=runner.run, daemon=True)
    worker.start()
    try:
        _wait_for(lambda: any(isinstance(e, ev.FaultInjected) for e in seen), 60, "injected")
        _link(lab, "lab-2", "down")
        try:
            _wait_for(lambda: runner.ended, 40, "the session ended by itself")
        finally:
            _link(lab, "lab-2", "up")
        assert runner.result is not None and runner.result.exit_code == 4
        confirmed_in = _wait_for(
            lambda: any(
                isinstance(e, ev.FaultReverted) and e.verified and e.by == "lease" for e in seen
            ),
            60,
            "the background confirm",
        )
    finally:
        runner.stop_confirming.set()
        if not runner.ended:
            runner.kill()
        worker.join(60)
    events = _events(journals)
    last = events[-1]
    assert isinstance(last, ev.FaultReverted) and last.verified and last.by == "lease"
    assert last.detail == "confirmed clean (reverted by the host's lease)"
    assert confirmed_in < 60


def test_a_bandwidth_limit_leaves_the_consoles_ssh_at_full_speed(lab: LabInfo) -> None:
    from gameday.adapters.ssh import SshConnector
    from gameday.adapters.ssh_config import SshOptions
    from gameday.core.faults import HostContext, parse_fault
    from gameday.core.formats.inventory_loader import load_inventory
    from gameday.core.yamlsrc import load_yaml
    from gameday.engine.faultrun import FaultRunner

    options = SshOptions(ssh_config=None, user_known_hosts=None, use_agent=False)
    transport = SshConnector(load_inventory(str(lab.inventory)), options).open("lab-3")
    runner = FaultRunner(transport, "bandwidth-exempt", lease_seconds=30)
    fault = parse_fault(load_yaml("f.yaml", "{kind: bandwidth, rate: 1mbit}"))
    plan = fault.plan(HostContext(name="lab-3"), "fbw1", 300)
    size = 4_000_000  # 32 Mbit: 32 s at 1 mbit
    try:
        for step in (runner.check(plan), runner.arm(plan, 300), runner.inject(plan)):
            assert step.ok, step.detail
        assert runner.verify_active(plan).ok
        started = time.monotonic()
        bulk = subprocess.run(
            [*lab.ssh_argv("lab-3", "head", "-c", str(size), "/dev/zero")],
            capture_output=True,
            timeout=60,
            check=False,
        )
        over_ssh = time.monotonic() - started
        assert bulk.returncode == 0 and len(bulk.stdout) == size
        started = time.monotonic()
        ours = transport.run(f"head -c {size} /dev/zero", timeout=60)
        over_console = time.monotonic() - started
        assert ours.ok and len(ours.stdout) == size
    finally:
        reverted = runner.revert(plan)
        runner.close()
        transport.close()
    assert reverted.ok, reverted.detail
    print(f"4 MB over SSH under a 1 mbit limit: ssh {over_ssh:.2f}s, console {over_console:.2f}s")
    assert over_ssh < 8.0 and over_console < 8.0, "the SSH port was shaped (32 s at 1 mbit)"


def test_the_kill_switch_reports_an_unreachable_host_within_lease_plus_2_s(
    lab: LabInfo, tmp_path: Path
) -> None:
    from gameday.core.session.lease import kill_switch_bound

    journals = tmp_path / "journals"
    console = _console(lab, _scenario(tmp_path, "kill-cut", "lab-2"), journals)
    try:
        _wait_injected(journals)
        _link(lab, "lab-2", "down")
        console.send_signal(signal.SIGTERM)  # before the console can notice the cut
        pulled = time.monotonic()
        done_in = _wait_for(
            lambda: any(isinstance(e, ev.KillSwitchDone) for e in _events(journals)),
            30,
            "the kill switch's report",
        )
        out, err = console.communicate(timeout=40)
        ended_in = time.monotonic() - pulled
    finally:
        if console.poll() is None:
            console.kill()
            console.wait(10)
        _link(lab, "lab-2", "up")
    bound = kill_switch_bound(3.0)
    done = next(e for e in _events(journals) if isinstance(e, ev.KillSwitchDone))
    print(
        f"kill switch with lab-2 cut off: report after {done_in:.2f}s, exit after {ended_in:.2f}s"
    )
    assert done.latency <= bound + 0.5, f"{done.latency:.2f}s > lease + 2 s"
    assert done_in <= bound + 1.0
    assert done.hosts["lab-2"] in ("unconfirmed", "unreachable")
    assert console.returncode == 4, out + err
    assert ended_in <= 30
    assert err == ""
