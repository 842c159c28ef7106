"""`gameday validate PATH...`: check scenario and inventory files before anything runs.

Prints `FILE: ok (...)` on stdout for each good file and one `FILE:LINE: field.path: problem`
line on stderr per error; exits 0 when every file is valid, 2 otherwise. Whatever the bytes in
a file, the answer is a located line, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gameday.core.formats.detect import YAML_SUFFIXES, Kind, detect_kind
from gameday.errors import GamedayError, InputError, InputErrors, PlanError
from gameday.exit_codes import ExitCode

if TYPE_CHECKING:
    from gameday.core.formats.inventory import Inventory


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "validate",
        help="check scenario and inventory files (exit 0 when all are valid, 2 otherwise)",
        description=(
            "Check scenario and inventory files. A folder is searched recursively for *.yaml "
            "and *.yml files. Each good file prints `FILE: ok (...)` on stdout; each problem "
            "prints `FILE:LINE: field.path: what is wrong` on stderr. Exit status: 0 when every "
            "file is valid, 2 otherwise."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a file or a folder")
    parser.add_argument(
        "--kind",
        choices=("scenario", "inventory"),
        help="read every file as this kind instead of detecting it",
    )
    parser.add_argument(
        "-i",
        "--inventory",
        metavar="INVENTORY",
        help="also plan every valid scenario against this inventory, as preview would "
        "(zero targets, unknown host or group names)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return validate_paths(args.paths, args.kind, args.inventory)


def validate_paths(
    paths: Sequence[str], kind: Kind | None = None, inventory_path: str | None = None
) -> int:
    """Validate each file under `paths`; print results; return the exit code."""
    all_ok = True
    inventory: Inventory | None = None
    if inventory_path is not None:
        loaded, errors = _load_inventory(inventory_path)
        if loaded is None:
            _print_errors(errors)
            return ExitCode.BAD_INPUT
        inventory = loaded
    for path, problem in _expand(paths):
        if problem:
            print(f"{path}: {problem}", file=sys.stderr)
            all_ok = False
            continue
        errors, summary = validate_file(path, kind, inventory)
        if errors:
            all_ok = False
            _print_errors(errors)
        else:
            print(f"{path}: ok ({summary})")
    return ExitCode.OK if all_ok else ExitCode.BAD_INPUT


def _print_errors(lines: list[str]) -> None:
    for line in lines:
        # one problem, one line: a message must never spill onto lines of its own
        print(" ".join(line.splitlines()), file=sys.stderr)


def _load_inventory(path: str) -> tuple[Inventory | None, list[str]]:
    errors, _ = validate_file(path, "inventory")
    if errors:
        return None, errors
    from gameday.core.formats.inventory_loader import load_inventory

    return load_inventory(path), []


def _expand(paths: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(file, "") for each file to check, or (path, problem) for a path that cannot be."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _yaml_files(path)
            if not found:
                yield raw, "no .yaml or .yml file in this folder"
            for file in found:
                yield str(file), ""
        elif path.exists():
            yield raw, ""
        else:
            yield raw, "no such file or directory"


def _yaml_files(folder: Path) -> list[Path]:
    """*.yaml / *.yml below `folder`, sorted; hidden folders skipped, symlinked folders not
    followed (a link loop must not hang a check)."""
    found: list[Path] = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            Path(top) / name
            for name in files
            if Path(name).suffix.lower() in YAML_SUFFIXES and not name.startswith(".")
        ]
    return sorted(found)


def validate_file(
    path: str, kind: Kind | None = None, inventory: Inventory | None = None
) -> tuple[list[str], str]:
    """(error lines, "") when the file is bad, ([], summary) when it is good.

    With an inventory, a valid scenario is also planned against it (nothing is contacted).
    """
    try:
        chosen = kind or detect_kind(path)
        if chosen == "scenario":
            from gameday.core.formats.scenario import load_scenario

            scenario = load_scenario(path)
            if inventory is None:
                return [], f"scenario {scenario.id}"
            from gameday.core.plan import build_plan

            try:
                plan = build_plan(scenario, inventory)
            except PlanError as exc:
                return [f"{path}: does not fit {inventory.file}: {exc.message}"], ""
            return [], f"scenario {scenario.id}, {_hosts(len(plan.targets))} of {inventory.file}"
        from gameday.core.formats.inventory_loader import load_inventory

        return [], f"inventory, {_hosts(len(load_inventory(path).hosts))}"
    except InputErrors as exc:
        return [error.message for error in exc.errors], ""
    except GamedayError as exc:
        return [exc.message if isinstance(exc, InputError) else f"{path}: {exc.message}"], ""
    except RecursionError:
        return [f"{path}: nested too deeply to be a scenario or an inventory"], ""
    except Exception as exc:  # the promise is a located line, never a traceback
        return [f"{path}: cannot validate ({type(exc).__name__}: {exc}); this is a bug"], ""


def _hosts(count: int) -> str:
    return f"{count} host{'s' if count != 1 else ''}"
