"""The lease watcher's program text ships as package data: each file parses with its own tool,
and the command line carries it unchanged."""

from __future__ import annotations

import py_compile
import shlex
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from gameday.core import guard
from gameday.core.faults import FaultPlan

GUARD = resources.files("gameday.core.guard")


def test_bash_watcher_parses_with_bash_n() -> None:
    bash = shutil.which("bash")
    assert bash is not None
    path = Path(str(GUARD.joinpath("watcher.sh")))
    done = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr


def test_python_watcher_compiles(tmp_path: Path) -> None:
    path = Path(str(GUARD.joinpath("watcher.py.tmpl")))
    py_compile.compile(str(path), cfile=str(tmp_path / "watcher.pyc"), doraise=True)


@pytest.mark.parametrize("runner", ["bash", "python3"])
def test_watcher_command_carries_the_packaged_program(runner: guard.LeaseRunner) -> None:
    command = guard.watcher_command(
        runner, "s1", 3, guard.GuardPaths("/var/lib/gameday"), sudo=False
    )
    argv = shlex.split(command)
    assert guard.watcher_source(runner) in argv
    assert argv[-4:] == ["/var/lib/gameday", "s1", "3", ""]  # no holder given


def test_fire_script_parses_with_sh_n(tmp_path: Path) -> None:
    script = tmp_path / "fire.sh"
    plan = FaultPlan(
        kind="custom",
        fault_id="f1",
        host="h",
        capability=(),
        inject=("touch /tmp/x",),
        verify_active=(),
        revert=("rm -f /tmp/x", "exit 3"),
        verify_reverted=("test ! -e /tmp/x",),
        cleanup=("rm -f /tmp/y",),
    )
    lines = guard.fire_script(plan, guard.GuardPaths("/var/lib/gameday"))
    script.write_text("\n".join(lines) + "\n")
    done = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr
