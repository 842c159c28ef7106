"""`gameday demo` and `gameday console` as commands: fast help, errors as sentences."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GAMEDAY = [sys.executable, "-m", "gameday.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GAMEDAY, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_help_lists_both_commands_without_importing_textual() -> None:
    probe = (
        "import sys; from gameday.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
    listed = run("--help").stdout
    assert "console" in listed and "demo" in listed


def test_demo_help_works() -> None:
    result = run("demo", "--help")
    assert result.returncode == 0 and "--seed" in result.stdout


def test_console_without_its_inventory_says_so(tmp_path: Path) -> None:
    result = run("console", "-i", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "missing.yaml" in result.stderr and "Traceback" not in result.stderr


def test_console_without_a_scenario_folder_says_so(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("hosts:\n  web-1: {address: 127.0.0.1}\n", encoding="utf-8")
    result = run("console", "-i", str(inventory), cwd=tmp_path)
    assert result.returncode == 2
    assert "scenarios" in result.stderr and "Traceback" not in result.stderr


def test_demo_refuses_an_absurd_speed() -> None:
    result = run("demo", "--speed", "0")
    assert result.returncode == 2 and "--speed" in result.stderr


def test_the_demo_never_loads_the_ssh_or_metrics_clients() -> None:
    probe = (
        "import sys; import gameday.commands.demo, gameday.app.demo, gameday.ui.launch; "
        "print(sorted(m for m in ('paramiko', 'prometheus_api_client', 'requests') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_demo_draws_its_first_frame_before_loading_the_engine() -> None:
    """Everything imported before the console starts delays its first frame; the engine comes
    when a scenario list or a session needs it (unless --notify asks for the live wiring)."""
    probe = (
        "import argparse, sys; import gameday.ui.launch as launch; "
        "launch.run_console = lambda backend: 0; from gameday.commands import demo; "
        "demo.run(argparse.Namespace(seed=1, speed=1.0, journal_dir=None, notify=[])); "
        "late = ('gameday.engine', 'gameday.app.live'); "
        "print(sorted(m for m in sys.modules if m.startswith(late)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
