"""Lint, types and architecture are part of the test run, not a separate ritual."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

FORBIDDEN_IN_CORE = ("textual", "rich", "paramiko", "prometheus_api_client", "psutil", "requests")
FORBIDDEN_IN_ENGINE = ("textual", "rich", "paramiko", "prometheus_api_client", "psutil", "requests")
"""Pure layers: importing any of their modules must not load one of these."""

LAYERS = ("cli", "commands", "ui", "app", "adapters", "demo", "lab", "engine", "core")


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    result = _run(str(BIN / "ruff"), "check", "gameday", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_package_its_tests_and_its_bench() -> None:
    result = _run(str(BIN / "mypy"), "gameday", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def _modules(package: str) -> list[str]:
    folder = ROOT / package.replace(".", "/")
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in folder.rglob("*.py")
    )


PURE_MODULES = [(m, FORBIDDEN_IN_CORE) for m in _modules("gameday.core")] + [
    (m, FORBIDDEN_IN_ENGINE) for m in _modules("gameday.engine")
]


@pytest.mark.parametrize(("module", "forbidden"), PURE_MODULES, ids=[m for m, _ in PURE_MODULES])
def test_pure_module_imports_no_io_or_ui_library(module: str, forbidden: tuple[str, ...]) -> None:
    probe = (
        f"import sys, {module}; "
        f"bad = [m for m in {forbidden!r} if m in sys.modules]; "
        "print(','.join(bad))"
    )
    result = _run(sys.executable, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} pulls in {result.stdout.strip()}"


def test_the_purity_test_sees_nested_packages() -> None:
    modules = {m for m, _ in PURE_MODULES}
    assert {"gameday.core.formats.scenario", "gameday.core.faults.tc"} <= modules
    assert "gameday.engine.session" in modules


# A violation planted in a copy of the package: (module that imports, module it must not import).
VIOLATIONS = {
    "core imports engine": ("gameday/core/plan.py", "gameday.engine.session"),
    "engine imports an adapter": ("gameday/engine/session.py", "gameday.adapters.ssh"),
    "adapters import app wiring": ("gameday/adapters/local.py", "gameday.app.live"),
    "app wiring imports a command": ("gameday/app/demo.py", "gameday.commands.validate"),
    "ui imports app wiring (and so SSH)": ("gameday/ui/runner.py", "gameday.app.live_backend"),
    "demo imports lab": ("gameday/demo/clock.py", "gameday.lab.model"),
    "commands import the cli": ("gameday/commands/export.py", "gameday.cli"),
    "errors import the core": ("gameday/errors.py", "gameday.core.units"),
    "core imports paramiko": ("gameday/core/units.py", "paramiko"),
    "ui imports an adapter": ("gameday/ui/notes.py", "gameday.adapters.local"),
    "the core reaches paramiko through a middleman": ("gameday/errors.py", "paramiko"),
    "a cycle inside the core": ("gameday/core/units.py", "gameday.core.plan"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_import_contracts_catch_a_planted_violation(case: str, tmp_path: Path) -> None:
    module, target = VIOLATIONS[case]
    shutil.copytree(ROOT / "gameday", tmp_path / "gameday")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    planted = tmp_path / module
    planted.write_text(planted.read_text() + f"\nimport {target}  # planted\n")
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0, f"{case}: the contracts let it through\n{result.stdout}"
    assert "BROKEN" in result.stdout
