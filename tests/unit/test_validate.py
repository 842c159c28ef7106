"""`gameday validate`: good files say ok, every bad file gives located lines and exit 2, and no
input whatever its bytes produces a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gameday.cli import main
from gameday.core.formats.detect import detect_kind

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = ROOT / "tests" / "fixtures" / "inventories"

SCENARIO = """\
id: minimal
targets:
  select: {hosts: [web-1]}
steady_state:
  probes:
    - {name: up, prometheus: "min(up)", min: 1}
faults:
  - kind: cpu_stress
schedule:
  duration: 1m
"""

INVENTORY = """\
hosts:
  web-1: {address: 10.0.0.11}
  web-2: {address: 10.0.0.12}
"""


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text))
    return path


def assert_located(err: str, path: Path) -> None:
    """Every stderr line is `FILE:LINE: ...` or `FILE: ...`, and nothing looks like a crash."""
    lines = err.splitlines()
    assert lines, "an invalid file must print at least one line"
    for line in lines:
        assert re.match(rf"{re.escape(str(path))}(:\d+)?: \S", line), line
    assert "Traceback" not in err
    assert "this is a bug" not in err


# --- good files ------------------------------------------------------------------------------
def test_good_scenario_and_inventory_say_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = write(tmp_path / "s.yaml", SCENARIO)
    inventory = write(tmp_path / "inventory.yaml", INVENTORY)
    code, out, err = validate(capsys, str(scenario), str(inventory))
    assert code == 0
    assert out.splitlines() == [
        f"{scenario}: ok (scenario minimal)",
        f"{inventory}: ok (inventory, 2 hosts)",
    ]
    assert err == ""


def test_folders_are_searched_recursively_for_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a" / "b" / "deep.yml", SCENARIO)
    write(tmp_path / "top.yaml", INVENTORY)
    write(tmp_path / "notes.txt", "not checked")
    write(tmp_path / ".git" / "hidden.yaml", "broken: [")
    code, out, _ = validate(capsys, str(tmp_path))
    assert code == 0
    checked = [line.split(": ok")[0] for line in out.splitlines()]
    assert checked == [str(tmp_path / "a" / "b" / "deep.yml"), str(tmp_path / "top.yaml")]


def test_every_shipped_inventory_format_is_detected_and_valid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [
        INVENTORIES / n for n in ("gameday.yaml", "ansible.yaml", "hosts", "ansible-list.json")
    ]
    code, out, err = validate(capsys, *map(str, files))
    assert code == 0, err
    assert out.count("ok (inventory") == 4


# --- bad files -------------------------------------------------------------------------------
BAD_CASES: list[tuple[str, str | bytes, str]] = [
    ("empty", b"", r":1: file is empty"),
    ("binary junk", b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe", r":1: binary data, not text"),
    ("latin-1 text", "id: caf\xe9\n".encode("latin-1"), r":1: not valid UTF-8"),
    ("yaml syntax error", SCENARIO.replace("{hosts: [web-1]}", "{hosts: [web-1}"), r":3: YAML"),
    ("tab indentation", SCENARIO.replace("  select", "\tselect"), r":\d+: YAML syntax error"),
    (
        "wrong type",
        SCENARIO.replace("duration: 1m", "duration: [1m]"),
        r":10: schedule\.duration: expected a single value",
    ),
    (
        "number where a mapping goes",
        SCENARIO.replace("  select: {hosts: [web-1]}", "  select: {tags: 7}"),
        r":3: targets\.select\.tags: expected a mapping",
    ),
    ("unknown key", SCENARIO + "retries: 3\n", r":11: retries: unknown key"),
    (
        "missing duration",
        SCENARIO.replace("duration: 1m", "warmup: 1m"),
        r":10: schedule\.duration: a duration is required: gameday never starts an open-ended",
    ),
    (
        "shell metacharacters in a process name",
        SCENARIO.replace(
            "  - kind: cpu_stress", "  - {kind: process_kill, process: 'nginx; rm -rf /'}"
        ),
        r":8: faults\[0\]\.process: ",
    ),
    (
        "command substitution in an interface",
        SCENARIO.replace(
            "  - kind: cpu_stress", "  - {kind: packet_loss, percent: 5, interface: '$(reboot)'}"
        ),
        r":8: faults\[0\]\.interface: ",
    ),
    (
        "a port that is not a number",
        SCENARIO.replace(
            "  - kind: cpu_stress", "  - {kind: network_partition, ports: ['80 -j ACCEPT']}"
        ),
        r":8: faults\[0\]\.ports\[0\]: ",
    ),
    ("a list at the top", "- id: x\n- faults: []\n", r":1: expected a mapping"),
    ("inventory port not a number", "hosts:\n  web-1: {port: http}\n", r":2: hosts\.web-1\.port"),
]


@pytest.mark.parametrize(
    ("content", "expected"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_file_exits_2_with_a_located_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, expected: str
) -> None:
    path = write(tmp_path / "bad.yaml", content)
    code, out, err = validate(capsys, str(path))
    assert code == 2
    assert out == ""
    assert_located(err, path)
    assert re.search(re.escape(str(path)) + expected, err), err


def test_missing_file_and_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = validate(capsys, str(tmp_path / "absent.yaml"), str(tmp_path / "empty"))
    assert code == 2
    assert err.splitlines() == [
        f"{tmp_path / 'absent.yaml'}: no such file or directory",
        f"{tmp_path / 'empty'}: no .yaml or .yml file in this folder",
    ]


def test_a_directory_named_like_yaml_is_not_read_as_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "dir.yaml" / "inside.yaml", SCENARIO)
    code, out, err = validate(capsys, str(tmp_path / "dir.yaml"))
    assert (code, err) == (0, "")
    assert out.startswith(str(tmp_path / "dir.yaml" / "inside.yaml"))


def test_all_errors_of_a_file_are_printed_one_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SCENARIO.replace("id: minimal", "id: Not_An_Id").replace("duration: 1m", "warmup: 1m")
    path = write(tmp_path / "s.yaml", text + "retries: 3\n")
    code, _, err = validate(capsys, str(path))
    assert code == 2
    assert [line.split(": ")[0] for line in err.splitlines()] == [
        f"{path}:1",
        f"{path}:10",
        f"{path}:11",
    ]


def test_one_bad_file_fails_the_run_but_good_files_are_still_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "good.yaml", SCENARIO)
    bad = write(tmp_path / "bad.yaml", b"")
    code, out, err = validate(capsys, str(good), str(bad))
    assert code == 2
    assert out == f"{good}: ok (scenario minimal)\n"
    assert err == f"{bad}:1: file is empty\n"


# --- telling scenarios from inventories ------------------------------------------------------
def test_kind_can_be_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "s.yaml", SCENARIO)
    code, _, err = validate(capsys, "--kind", "inventory", str(path))
    assert code == 2
    assert_located(err, path)
    code, out, _ = validate(capsys, "--kind", "scenario", str(path))
    assert (code, out) == (0, f"{path}: ok (scenario minimal)\n")


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("s.yaml", SCENARIO, "scenario"),
        ("s.yaml", "faults: []\n", "scenario"),
        ("s.txt", SCENARIO, "scenario"),
        ("inv.yaml", INVENTORY, "inventory"),
        ("inv.yaml", "all:\n  hosts:\n    web-1:\n", "inventory"),
        ("targets.yaml", "targets:\n  hosts:\n    web-1:\n", "inventory"),
        ("hosts", "[web]\nweb-1\n", "inventory"),
        ("inv.json", "{}", "inventory"),
        ("broken.yaml", "id: [", "scenario"),
        ("broken", "id: [", "inventory"),
    ],
)
def test_detection_rule(tmp_path: Path, name: str, content: str, kind: str) -> None:
    assert detect_kind(str(write(tmp_path / name, content))) == kind


# --- whatever the bytes ----------------------------------------------------------------------
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=200),
        st.text(alphabet=st.sampled_from(list("ab:-[]{}\n #!&*|>'\"\t%@`0")), max_size=120).map(
            str.encode
        ),
    ),
    name=st.sampled_from(["x.yaml", "x.yml", "hosts", "x.json", "x.ini"]),
)
def test_any_bytes_give_located_lines_never_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = validate(capsys, str(path))
    if code == 0:  # a few bytes can be a valid one-host INI inventory
        assert out.startswith(f"{path}: ok (")
    else:
        assert code == 2
        assert_located(err, path)


# --- as a user runs it -----------------------------------------------------------------------
def _gameday(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gameday.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_exit_codes_from_a_real_process(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", SCENARIO)
    ok = _gameday("validate", str(good))
    assert (ok.returncode, ok.stderr) == (0, "")
    junk = write(tmp_path / "junk.yaml", bytes(range(256)))
    bad = _gameday("validate", str(junk), str(tmp_path / "missing.yaml"))
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines() == [
        f"{junk}:1: binary data, not text",
        f"{tmp_path / 'missing.yaml'}: no such file or directory",
    ]


def test_validate_without_a_path_is_a_usage_error() -> None:
    result = _gameday("validate")
    assert result.returncode == 2
    assert "PATH" in result.stderr


def test_devices_and_fifos_are_refused_without_reading_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # reading it would block forever
    code, _, err = validate(capsys, "/dev/zero", str(fifo))
    assert code == 2
    assert err.splitlines() == [
        "/dev/zero: is not a regular file",
        f"{fifo}: is not a regular file",
    ]


def test_a_symlink_loop_in_a_folder_does_not_hang(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "s.yaml", SCENARIO)
    (tmp_path / "again").symlink_to(tmp_path)
    code, out, _ = validate(capsys, str(tmp_path))
    assert (code, out) == (0, f"{tmp_path / 's.yaml'}: ok (scenario minimal)\n")


# --- against an inventory --------------------------------------------------------------------
def test_with_an_inventory_scenarios_are_also_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = write(tmp_path / "inv" / "inventory.yaml", INVENTORY)
    good = write(tmp_path / "good.yaml", SCENARIO)
    nowhere = write(tmp_path / "nowhere.yaml", SCENARIO.replace("hosts: [web-1]", "hosts: [web-9]"))
    code, out, err = validate(capsys, "-i", str(inventory), str(good), str(nowhere))
    assert code == 2
    assert out == f"{good}: ok (scenario minimal, 1 host of {inventory})\n"
    assert err.startswith(f"{nowhere}: does not fit {inventory}: targets.select.hosts: no host")
    assert len(err.splitlines()) == 1


def test_a_bad_inventory_stops_before_any_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = write(tmp_path / "inventory.yaml", "hosts: [web-1]\n")
    good = write(tmp_path / "good.yaml", SCENARIO)
    code, out, err = validate(capsys, "--inventory", str(inventory), str(good))
    assert (code, out) == (2, "")
    assert err.startswith(f"{inventory}:1: hosts: expected a mapping")
