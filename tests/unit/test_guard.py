"""Rendering of the host-side guard: ids and paths that can reach a shell, quoting of every
value, exact command shapes, and the parsers of what hosts print back."""

from __future__ import annotations

import shlex
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core import guard
from gameday.core.faults import FaultPlan
from gameday.core.guard.base import own_lines, sh_body

PLAN = FaultPlan(
    kind="disk_fill",
    fault_id="web-1.disk_fill-0",
    host="web-1",
    capability=("command -v fallocate",),
    inject=("fallocate -l 1G /var/tmp/.gameday-fill-x",),
    verify_active=("test -f /var/tmp/.gameday-fill-x",),
    revert=("rm -f /var/tmp/.gameday-fill-x",),
    verify_reverted=("test ! -e /var/tmp/.gameday-fill-x",),
)


@pytest.mark.parametrize(
    "bad", ["", "../x", "a/b", "-rf", ".hidden", "a b", "$(reboot)", "x;y", "é", "a" * 97, "a..b"]
)
def test_unsafe_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        guard.check_id(bad)


@pytest.mark.parametrize("good", ["f1", "web-1.disk_fill-0", "S_2026-11-27T09.30", "a" * 96])
def test_plain_ids_are_accepted(good: str) -> None:
    assert guard.check_id(good) == good


@pytest.mark.parametrize("bad", ["var/lib", "/var/../etc", "/var/lib gameday", "/", "/$HOME", ""])
def test_state_dir_must_be_a_plain_absolute_path(bad: str) -> None:
    with pytest.raises(ValueError):
        guard.GuardPaths(bad)


def test_paths_of_a_fault() -> None:
    paths = guard.GuardPaths("/var/lib/gameday/")
    assert paths.fault_dir("f1") == "/var/lib/gameday/faults/f1"
    assert paths.history == "/var/lib/gameday/history"
    assert guard.timer_unit("f1") == "gameday-fault-f1"


def test_as_root_uses_sudo_without_prompting() -> None:
    script = "echo 'a b' | tr a b"
    assert shlex.split(guard.as_root(script, sudo=True)) == ["sudo", "-n", "sh", "-c", script]
    assert shlex.split(guard.as_root(script, sudo=False)) == ["sh", "-c", script]


def test_all_succeed_stops_at_the_first_failure_with_its_status(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = guard.all_succeed(["true", "exit 7", f"touch {marker}"])
    result = subprocess.run(["sh", "-c", script], capture_output=True, timeout=10)
    assert result.returncode == 7
    assert not marker.exists()


def test_each_attempted_runs_every_line_and_reports_failure(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = guard.each_attempted(["false", f"touch {marker}"])
    result = subprocess.run(["sh", "-c", script], capture_output=True, timeout=10)
    assert result.returncode == 1
    assert marker.exists()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
            max_size=40,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_record_files_hold_any_text_exactly(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    target = tmp_path_factory.mktemp("w") / "file"
    command = guard.write_file_command(str(target), lines)
    subprocess.run(["sh", "-c", command], check=True, timeout=10)
    assert target.read_bytes().decode() == "".join(line + "\n" for line in lines)


def test_arm_script_records_then_chooses_a_timer() -> None:
    script = guard.arm_script(PLAN, "S1", 90.2, guard.GuardPaths("/var/lib/gameday"), now=1000.4)
    lines = script.splitlines()
    assert lines[:3] == ["set -e", "umask 077", "dir=/var/lib/gameday/faults/web-1.disk_fill-0"]
    # the lock only for a record left by an earlier arm: a new one is in no one else's hands
    assert lines[4].startswith('if [ -d "$dir" ]; then if command -v flock')
    assert "flock -w 30 9" in lines[4]
    refuse = lines.index('if [ -n "$owner" ] && [ "$owner" != S1 ]; then')
    folder = "/var/lib/gameday/faults/web-1.disk_fill-0"
    made = f"[ -d {folder} ] || mkdir {folder}"
    assert refuse < lines.index(made)
    assert "printf '%s\\n' S1 > /var/lib/gameday/faults/web-1.disk_fill-0/session" in lines
    # whole seconds, rounded up, from the console's clock: the host starts no `date` for it
    assert 'echo 1092 > "$dir/deadline"' in lines
    assert "$(( $(date" not in script
    systemd = next(line for line in lines if "systemd-run" in line)
    assert "--unit=gameday-fault-web-1.disk_fill-0 --on-active=91s" in systemd
    assert systemd.startswith("if [ -d /run/systemd/system ]")
    sleeper = '  ( cd "$dir" && exec setsid sh "$dir/timer.sh" ) </dev/null >/dev/null 2>&1 9>&- &'
    assert lines[lines.index(sleeper) + 1] == '  echo $! > "$dir/timer.pid"'  # no polling
    assert lines[-1] == 'echo "armed $timer 1092"'


@pytest.mark.parametrize("seconds", [0, 0.5, float("nan"), float("inf")])
def test_arm_needs_a_real_deadline(seconds: float) -> None:
    with pytest.raises(ValueError):
        guard.arm_script(PLAN, "S1", seconds, guard.GuardPaths(), now=0.0)


def test_arm_refuses_an_unsafe_session_id() -> None:
    with pytest.raises(ValueError):
        guard.arm_script(PLAN, "s1; reboot", 60, guard.GuardPaths(), now=0.0)


def test_fire_script_confirms_before_it_drops_the_record() -> None:
    lines = guard.fire_script(PLAN, guard.GuardPaths())
    text = "\n".join(lines)
    revert, verify = PLAN.revert[0], PLAN.verify_reverted[0]
    assert text.index(revert) < text.index(verify) < text.index(': > "$dir/confirmed"')
    assert text.index(': > "$dir/confirmed"') < text.index('rm -rf "$dir"')
    assert ". " not in text.replace("...", ""), "nothing is sourced: the plan's lines are inline"
    without = "\n".join(guard.fire_script(replace(PLAN, verify_reverted=()), guard.GuardPaths()))
    assert 'ok=1; [ "$revert_rc" -eq 0 ] || ok=0' in without


def test_revert_script_prefers_the_record_and_falls_back_to_the_plan() -> None:
    script = guard.revert_script(PLAN, guard.GuardPaths(), "sweep")
    first, *rest = script.splitlines()
    assert first == (
        "if [ -f /var/lib/gameday/faults/web-1.disk_fill-0/fire.sh ]; then"
        " sh /var/lib/gameday/faults/web-1.disk_fill-0/fire.sh sweep; rc=$?;"
        " [ $rc -eq 0 ] || [ -d /var/lib/gameday/faults/web-1.disk_fill-0 ] || rc=0; exit $rc; fi"
    )
    assert "rm -f /var/tmp/.gameday-fill-x" in "\n".join(rest)
    assert rest[-1] == "exit 0"


@pytest.mark.parametrize("runner", ["bash", "python3"])
def test_watcher_command_is_one_quoted_argv(runner: guard.LeaseRunner) -> None:
    holder = "scenario=web since=1 machine=jump;rm user=$(id)"
    command = guard.watcher_command(
        runner, "S1", 3.0, guard.GuardPaths("/srv/gd"), sudo=True, holder=holder
    )
    argv = shlex.split(command)
    assert argv[:3] == ["sudo", "-n", runner]
    assert argv[-4:] == ["/srv/gd", "S1", "3", holder]


def test_watcher_lease_keeps_fractions() -> None:
    command = guard.watcher_command("bash", "S1", 1.25, guard.GuardPaths(), sudo=False)
    assert shlex.split(command)[-2] == "1.25"


def test_python_watcher_compiles() -> None:
    compile(guard.watcher_source("python3"), "watcher", "exec")


@pytest.mark.parametrize(
    ("line", "confirmed", "unconfirmed"),
    [
        ("reverted ok=a,b unconfirmed=", ("a", "b"), ()),
        ("reverted ok= unconfirmed=c", (), ("c",)),
        ("reverted ok= unconfirmed=", (), ()),
    ],
)
def test_parse_reverted(
    line: str, confirmed: tuple[str, ...], unconfirmed: tuple[str, ...]
) -> None:
    assert guard.parse_reverted(line) == guard.WatcherReply(confirmed, unconfirmed)


@pytest.mark.parametrize("line", ["pong", "ready 12", "reverted", ""])
def test_other_watcher_lines_are_not_replies(line: str) -> None:
    assert guard.parse_reverted(line) is None


def test_parse_probe_and_problems() -> None:
    full = guard.parse_probe("uid=0\nlease=bash\ntimer=setsid\nstate=writable\n")
    assert full == guard.GuardCapability(0, "bash", "setsid", True)
    assert full.problems() == ()
    bare = guard.parse_probe("uid=1000\n")
    assert len(bare.problems()) == 3


def test_the_probe_names_the_faults_left_behind_by_sessions_no_one_runs() -> None:
    probed = guard.parse_probe(
        "uid=0\nheld live scenario=web-cpu\nrecorded f1 live\nrecorded f2 gone\n"
        "recorded f3 me\nrecorded f4 bad/id\nrecorded f5\n"
    )
    assert probed.recorded == (("f1", "live"), ("f2", "gone"), ("f3", "me"))
    # the live session is refused as a holder; our own faults are ours to revert
    assert probed.left_behind("me") == (("f2", "gone"),)


def test_parse_armed() -> None:
    assert guard.parse_armed("noise\narmed setsid 1795771304\n") == ("setsid", 1795771304)
    assert guard.parse_armed("armed setsid soon") is None


def test_parse_records_skips_names_it_cannot_use() -> None:
    out = "record f1 S1 disk_fill 100 setsid -\nrecord ../x S1 k 1 setsid -\nrecord f2 S1 k - - x\n"
    records = guard.parse_records(out)
    assert [r.fault_id for r in records] == ["f1", "f2"]
    assert records[0].deadline == 100 and not records[0].unconfirmed
    assert records[1].deadline is None and records[1].unconfirmed


def test_clear_traces_only_touches_what_is_gamedays_by_name() -> None:
    traces = guard.parse_traces(
        "trace chain iptables:GAMEDAY-f1\n"
        "trace chain iptables:INPUT\n"
        "trace fill /var/tmp/.gameday-fill-f1\n"
        "trace fill /etc/passwd\n"
        "trace stress 4242 stress-ng --cpu 1 gameday\n"
        "trace stress 0 stress-ng --cpu 1 gameday\n"
        "trace iodir /srv/data/.gameday-io-f1\n"
        "trace iodir /srv/data/../etc/.gameday-io-f1\n"
        "trace iodir /etc\n"
        "trace paused 4343 /var/lib/gameday/f1.paused\n"
        "trace paused 4444 /etc/f1.paused\n"
        "trace paused 1 /var/lib/gameday/f1.paused\n"
        "trace paused 4545 /var/lib/gameday/.paused\n"
    )
    script = guard.clear_traces_script(traces, guard.GuardPaths())
    assert "-X GAMEDAY-f1" in script
    assert "INPUT" not in script.replace("GAMEDAY", "")
    assert "rm -f -- /var/tmp/.gameday-fill-f1" in script
    assert "/etc/passwd" not in script
    assert "kill -KILL 4242" in script and "kill -KILL 0" not in script
    assert "rm -rf -- /srv/data/.gameday-io-f1" in script
    assert "/etc" not in script and ".." not in script.replace("[!0-9]*", "")
    assert 'if [ "$(gameday_state 4343)" = T ]; then kill -CONT 4343; fi' in script
    assert "gameday_stopped /var/lib/gameday/f1.paused || rm -f -- /var/lib/gameday/f1.paused" in (
        script
    )
    assert "4444" not in script and "4545" not in script and "kill -CONT 1;" not in script
    order = [script.index(word) for word in ("kill -KILL", "kill -CONT", "-X GAMEDAY", "rm -rf")]
    assert order == sorted(order), "stress-ng ends, paused processes resume, then files go"


def test_fill_dirs_come_from_recorded_reverts_only_when_plain() -> None:
    out = "record f1 S1 disk_fill 1 setsid -\nfilldir /srv/data\nfilldir /x y\nfilldir rel\n"
    assert guard.parse_fill_dirs(out) == ("/srv/data",)


def test_list_records_names_where_a_recorded_fill_or_io_stress_writes(tmp_path: Path) -> None:
    paths = guard.GuardPaths(str(tmp_path / "state"))
    plan = FaultPlan(
        kind="disk_fill",
        fault_id="f1",
        host="h",
        capability=(),
        inject=(),
        verify_active=(),
        revert=(
            "rm -f /srv/data/.gameday-fill-f1",
            "sh -c 'kill -KILL 1234; rm -rf /srv/io/.gameday-io-f1; rm -f /var/lib/gd/f1.pgid'",
        ),
        verify_reverted=("true",),
    )
    arm = guard.arm_script(plan, "S1", 600, paths, now=time.time())
    try:
        subprocess.run(["sh", "-c", arm], check=True, capture_output=True, timeout=10)
        out = subprocess.run(
            ["sh", "-c", guard.list_records_script(paths)],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    finally:
        subprocess.run(["sh", "-c", guard.disarm_script("f1", paths)], timeout=10)
    assert guard.parse_fill_dirs(out) == ("/srv/data", "/srv/io")
    assert [r.fault_id for r in guard.parse_records(out)] == ["f1"]


def test_sweep_of_a_half_written_record_is_unconfirmed(tmp_path: Path) -> None:
    paths = guard.GuardPaths(str(tmp_path / "state"))
    (tmp_path / "state" / "faults" / "f1").mkdir(parents=True)
    script = guard.sweep_record_script("f1", paths)
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=10)
    assert result.returncode == guard.UNCONFIRMED_STATUS
    assert "incomplete record" in result.stderr
    (tmp_path / "state" / "faults" / "f1").rmdir()
    gone = subprocess.run(["sh", "-c", script], capture_output=True, timeout=10)
    assert gone.returncode == 0


def test_gameday_qdiscs_are_recognised_and_removed_by_handle_only() -> None:
    traces = guard.parse_traces("trace qdisc eth0 6712: tbf\ntrace qdisc eth0 1: htb\n")
    script = guard.clear_traces_script(traces, guard.GuardPaths())
    assert "tc qdisc del dev eth0 root handle 6712:" in script
    assert "handle 1:" not in script


def test_traces_script_looks_in_recorded_fill_dirs() -> None:
    script = guard.traces_script(guard.GuardPaths("/srv/gd"), ["/srv/data"])
    assert "for d in /tmp /var/tmp /srv/data; do" in script
    assert '"$d"/.gameday-fill-*' in script and '"$d"/.gameday-io-*' in script
    assert "for f in /srv/gd/*.paused; do" in script


@pytest.mark.parametrize("bad", ["tmp", "/tmp/../etc", "/tmp/x\ny", "/srv/$(id)", "/a b", "/"])
def test_traces_script_refuses_unclean_directories(bad: str) -> None:
    with pytest.raises(ValueError):
        guard.traces_script(guard.GuardPaths(), [bad])


def test_traces_and_clear_scripts_are_valid_posix_shell() -> None:
    traces = guard.parse_traces(
        "trace chain iptables:GAMEDAY-f1-in\ntrace fill /tmp/.gameday-fill-f1\n"
        "trace iodir /tmp/.gameday-io-f1\ntrace qdisc eth0 6712: tbf\n"
        "trace stress 42 stress-ng\ntrace paused 43 /var/lib/gameday/f1.paused\n"
    )
    scripts = [
        guard.traces_script(guard.GuardPaths(), ["/srv/data"]),
        guard.clear_traces_script(traces, guard.GuardPaths()),
    ]
    for script in scripts:
        out = subprocess.run(["sh", "-n", "-c", script], capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, out.stderr


def test_parse_traces_keeps_each_trace_once() -> None:
    text = "trace paused 43 /x/f1.paused\ntrace paused 43 /x/f1.paused\nnoise\ntrace fill\n"
    assert guard.parse_traces(text) == (guard.Trace("paused", "43 /x/f1.paused"),)


_PATHISH = st.text(alphabet="/.-_ab$;'\" \n*", max_size=40)


@given(
    kind=st.sampled_from(["fill", "iodir", "paused"]),
    detail=st.one_of(
        _PATHISH,
        _PATHISH.map(lambda t: "/srv" + t + "/.gameday-io-" + t),
        _PATHISH.map(lambda t: "12 /var/lib/gameday/" + t + ".paused"),
    ),
)
@settings(max_examples=300)
def test_clear_acts_only_on_plain_gameday_names(kind: str, detail: str) -> None:
    script = guard.clear_traces_script([guard.Trace(kind, detail)], guard.GuardPaths())
    acted = [line for line in script.splitlines() if line.startswith(("rm ", "gameday_stopped "))]
    for line in acted:
        words = shlex.split(line.split("||")[-1])  # the `rm` of a line; quoting survives split
        target = words[-1]
        assert words[:2] in (["rm", "-f"], ["rm", "-rf"]) and words[2] == "--"
        assert target.startswith("/") and ".." not in target.split("/")
        name = target.rsplit("/", 1)[1]
        assert name.startswith((".gameday-fill-", ".gameday-io-")) or (
            target.startswith("/var/lib/gameday/") and name.endswith(".paused")
        )
    if kind == "iodir" and acted:
        assert acted == [shlex.join(["rm", "-rf", "--", detail])]


@given(st.text(max_size=120))
def test_any_accepted_id_is_a_plain_shell_word_and_path_segment(text: str) -> None:
    from gameday.core.shell import is_safe_word

    try:
        accepted = guard.check_id(text)
    except ValueError:
        return
    assert is_safe_word(accepted)
    assert "/" not in accepted and not accepted.startswith((".", "-"))
    assert shlex.split(guard.GuardPaths().fault_dir(accepted)) == [
        f"/var/lib/gameday/faults/{accepted}"
    ]


def test_the_catalogs_own_programs_run_in_fire_without_a_subshell_around_them() -> None:
    standalone = replace(
        PLAN,
        revert=(shlex.join(("sh", "-c", "rm -f /var/tmp/.gameday-fill-x; exit 0")),),
        verify_reverted=(shlex.join(("sh", "-c", "test ! -e /var/tmp/.gameday-fill-x")),),
    )
    lines = guard.fire_script(standalone, guard.GuardPaths())
    assert "(" not in lines, "a `sh -c` line is a program of its own: no fork around it"
    # a line that only looks like one (an operator after the quotes) gets its subshell
    sneaky = replace(PLAN, revert=("sh -c 'true'&&exit 0",))
    assert "(" in guard.fire_script(sneaky, guard.GuardPaths())


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00")))
def test_a_catalog_sh_c_line_runs_its_own_script_in_a_subshell(script: str) -> None:
    line = shlex.join(["sh", "-c", script])
    assert sh_body(line) == script
    assert own_lines("bandwidth", (line,)) == (f"(\n{script}\n)",)
    assert own_lines("custom", (line,)) == (line,), "an author's line runs as written"


def test_lines_that_are_not_exactly_sh_c_are_left_as_they_are() -> None:
    lines = ("tc qdisc del dev eth0 root", "sh -c 'a' extra", "sudo -n sh -c 'a'", "sh -c")
    assert own_lines("bandwidth", lines) == lines


def test_an_inlined_catalog_line_exits_only_its_subshell() -> None:
    (line,) = own_lines("bandwidth", (shlex.join(["sh", "-c", "echo in; exit 3"]),))
    done = subprocess.run(
        ["sh", "-c", f"{line}\necho after $?"], capture_output=True, text=True, timeout=10
    )
    assert done.stdout.splitlines() == ["in", "after 3"]


def test_the_probe_reads_the_effective_uid_without_starting_id(tmp_path: Path) -> None:
    import os

    (tmp_path / "state" / "faults").mkdir(parents=True)
    script = guard.probe_script(guard.GuardPaths(str(tmp_path / "state")))
    # no program at all on the PATH: the uid comes from /proc, through the shell's own `read`
    done = subprocess.run(
        ["/bin/sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=10,
        env={"PATH": str(tmp_path / "empty")},
    )
    probed = guard.parse_probe(done.stdout)
    assert probed.uid == os.geteuid() and probed.state_writable, done.stderr
