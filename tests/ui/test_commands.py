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


def test_a_mistyped_command_is_told_every_command() -> None:
    result = run("dmeo")
    assert result.returncode == 2
    assert "invalid choice: 'dmeo'" in result.stderr
    assert all(name in result.stderr for name in ("validate", "run", "console", "demo"))


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


FIRST_FRAME_PROBE = """
import sys
from textual.app import App

def started(app, *args, **kwargs):
    print(sorted(sys.modules))
    return 0

App.run = started
from gameday.cli import main
main(["demo", *sys.argv[1:]])
"""

LATE = (
    "gameday.engine",  # the engine and the live wiring (unless --notify asks for it)
    "gameday.app.live",
    "gameday.commands.run",  # the other commands' modules and what they import
    "gameday.commands.sweep",
    "gameday.core.formats",  # scenarios, inventories and their YAML: read in a worker
    "yaml",
    "gameday.core.plan",
    "gameday.core.session.events",  # a session's events, journal, runner and screen
    "gameday.core.session.journal",
    "gameday.ui.runner",
    "gameday.ui.screens.session",
)


def test_the_demo_draws_its_first_frame_before_loading_what_comes_later() -> None:
    """Everything imported before the console starts delays its first frame: the scenarios,
    the engine and the session screen come when the scenario list or a session needs them."""
    for extra in ([], ["--journal-dir", "somewhere"]):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_FRAME_PROBE, *extra],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        imported = out.stdout.strip().strip("[]").replace("'", "").split(", ")
        assert "gameday.ui.screens.plan" in imported  # the probe saw the console start
        assert [m for m in imported if m.startswith(LATE)] == []
