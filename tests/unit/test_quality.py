"""Lint, types and architecture are part of the test run, not a separate ritual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

FORBIDDEN_IN_CORE = ("textual", "rich", "paramiko", "prometheus_api_client", "psutil", "requests")


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "gameday", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_package() -> None:
    result = _run(str(BIN / "mypy"), "gameday")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def _core_modules() -> list[str]:
    return sorted(
        "gameday.core." + path.stem
        for path in (ROOT / "gameday" / "core").glob("*.py")
        if path.stem != "__init__"
    )


@pytest.mark.parametrize("module", _core_modules())
def test_core_module_imports_no_io_or_ui_library(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        f"bad = [m for m in {FORBIDDEN_IN_CORE!r} if m in sys.modules]; "
        "print(','.join(bad))"
    )
    result = _run(sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} pulls in {result.stdout.strip()}"
