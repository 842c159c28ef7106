"""`gameday preview`: the plan a person approves, in words and as JSON, contacting nothing."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gameday.cli import main

ROOT = Path(__file__).resolve().parents[2]

INVENTORY = """\
protected: [db-1]
hosts:
  web-1: {address: 10.0.0.11, tags: {role: web}}
  web-2: {address: 10.0.0.12, tags: {role: web}}
  web-3: {address: 10.0.0.13, tags: {role: web}}
  web-4: {address: 10.0.0.14, tags: {role: web}}
  db-1:  {address: 10.0.0.21, tags: {role: db}}
"""

SCENARIO = """\
id: web-cpu
title: Web survives CPU stress
hypothesis: Latency stays under 300 ms.
targets:
  select: {hosts: [web-1, web-2, web-3, db-1]}
  exclude: [web-3]
  max_concurrent: 1
steady_state:
  interval: 2s
  probes:
    - {name: p95, prometheus: "histogram_quantile(0.95, sum by (le) (rate(x[1m])))", max: 0.3}
    - {name: home, http: "http://10.0.0.11/", max_latency: 300ms}
faults:
  - {kind: cpu_stress, name: burn, load: 80}
schedule: {warmup: 10s, duration: 1m}
abort_when:
  - {probe: p95, above: 1, for: 2}
  - {no_data: 3}
rollback:
  - {name: say done, run: "logger gameday done"}
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY)
    return scenario, inventory


def preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preview", *args])
    out, err = capsys.readouterr()
    return code, out, err


def preview_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = preview(capsys, *args, "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert isinstance(doc, dict)
    return doc


def test_json_shows_targets_spared_with_reasons_and_commands(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, inventory = files
    doc = preview_json(capsys, str(scenario), "-i", str(inventory))
    assert doc["scenario"] == "web-cpu"
    assert doc["targets"] == ["web-1", "web-2"]
    assert doc["spared"] == {
        "web-3": "excluded by the scenario",
        "web-4": "not named in targets.select.hosts",
        "db-1": "protected by the inventory",
    }
    assert doc["waves"] == [["web-1"], ["web-2"]]
    assert isinstance(doc["seed"], int)
    assert set(doc["commands"]) == {"web-1", "web-2"}
    for name in doc["targets"]:
        commands = doc["commands"][name]
        assert all(isinstance(c, str) and c for c in commands)
        assert any("stress-ng" in c for c in commands)
        assert commands[-1] == "logger gameday done"
        phases = [s["phase"] for s in doc["steps"][name]]
        assert phases.index("capability") < phases.index("inject") < phases.index("verify")
        assert phases.index("verify") < phases.index("revert") < phases.index("verify_reverted")


def test_human_output_lists_everything_a_person_approves(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, inventory = files
    code, out, err = preview(capsys, str(scenario), "-i", str(inventory), "--seed", "5")
    assert (code, err) == (0, "")
    assert "web-cpu: Web survives CPU stress" in out
    assert "Latency stays under 300 ms." in out
    assert "Seed        5" in out
    assert "wave 1  web-1" in out and "wave 2  web-2" in out
    assert "db-1   protected by the inventory" in out
    assert "web-3  excluded by the scenario" in out
    assert "p95 above 1 for 2 samples in a row" in out
    assert "any probe has no data for 3 polls in a row" in out
    for phase in ("capability", "inject", "verify", "revert", "verify_reverted", "rollback"):
        assert f"\n  {phase} " in out
    assert "no host was contacted" in out


def test_the_same_seed_gives_the_same_plan(
    tmp_path: Path, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, inventory = files
    scenario.write_text(SCENARIO.replace("  exclude: [web-3]\n", "  count: 1\n"))
    first = preview_json(capsys, str(scenario), "-i", str(inventory), "--seed", "99")
    again = preview_json(capsys, str(scenario), "-i", str(inventory), "--seed", "99")
    assert first == again
    assert first["seed"] == 99
    picks = {
        tuple(
            preview_json(capsys, str(scenario), "-i", str(inventory), "--seed", str(s))["targets"]
        )
        for s in range(12)
    }
    assert len(picks) > 1
    assert all(len(p) == 1 and p[0] != "db-1" for p in picks)


def test_bad_scenario_and_bad_inventory_are_both_reported(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, inventory = files
    scenario.write_text(SCENARIO.replace("schedule: {warmup: 10s, duration: 1m}", "schedule: {}"))
    inventory.write_text(INVENTORY.replace("10.0.0.12", "10.0.0.12, port: ssh"))
    code, out, err = preview(capsys, str(scenario), "-i", str(inventory), "--json")
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"{scenario}:15: schedule.duration: a duration is required")
    assert lines[1].startswith(f"{inventory}:4: hosts.web-2.port")


def test_zero_targets_exits_2_with_the_reason(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, inventory = files
    scenario.write_text(SCENARIO.replace("[web-1, web-2, web-3, db-1]", "[db-1]"))
    code, out, err = preview(capsys, str(scenario), "-i", str(inventory))
    assert (code, out) == (2, "")
    assert "no host is a target" in err
    assert "protected by the inventory (db-1)" in err


def test_a_misspelt_exclusion_is_refused_not_ignored(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, inventory = files
    scenario.write_text(SCENARIO.replace("exclude: [web-3]", "exclude: [web-03]"))
    code, _, err = preview(capsys, str(scenario), "-i", str(inventory))
    assert code == 2
    assert "targets.exclude: 'web-03' is not a host" in err


@pytest.mark.parametrize("seed", ["-1", "abc", "1.5"])
def test_bad_seed_is_a_usage_error(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], seed: str
) -> None:
    scenario, inventory = files
    with pytest.raises(SystemExit) as caught:
        main(["preview", str(scenario), "-i", str(inventory), "--seed", seed])
    assert caught.value.code == 2
    assert "--seed" in capsys.readouterr().err


def test_preview_opens_no_connection(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("preview tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    scenario, inventory = files
    doc = preview_json(capsys, str(scenario), "-i", str(inventory))
    assert doc["targets"] == ["web-1", "web-2"]


def test_json_from_a_real_process_is_one_document(files: tuple[Path, Path]) -> None:
    scenario, inventory = files
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gameday.cli",
            "preview",
            str(scenario),
            "-i",
            str(inventory),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["targets"] == ["web-1", "web-2"]
