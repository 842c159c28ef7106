"""The lab's state file: what `up` records and `down` relies on, read back exactly."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gameday.errors import LabError
from gameday.lab.state import (
    STATE_FILE,
    HostState,
    LabState,
    ProcessRecord,
    read_state,
    write_state,
)

# Written by `gameday lab up --name gdx0 --hosts 1` before the state became typed (verbatim).
EARLIER_STATE = """{
  "version": 1,
  "name": "gdx0",
  "dir": "/var/lib/gameday-lab/wt14lab-old",
  "dir_created": true,
  "made_dirs": [
    "/var/lib/gameday-lab/wt14lab-old"
  ],
  "octet": 33,
  "bridge": "gdx0-br",
  "prometheus_port": 19417,
  "loadgen_port": 19418,
  "rate": 20.0,
  "hosts": [
    {
      "index": 1,
      "name": "lab-1",
      "netns": "gdx0-1",
      "veth": "gdx0-v1",
      "address": "10.213.33.11",
      "zone": "a",
      "unshare": {
        "pid": 32038,
        "start": 80317
      },
      "init": {
        "pid": 32039,
        "start": 80317
      }
    }
  ],
  "prometheus": {
    "pid": 32043,
    "start": 80321
  },
  "loadgen": {
    "pid": 32049,
    "start": 80322
  }
}
"""


def two_host_state() -> LabState:
    hosts = tuple(
        HostState(i, f"lab-{i}", f"gdt-{i}", f"gdt-v{i}", f"10.213.7.{10 + i}", "ab"[i % 2])
        for i in (1, 2)
    )
    return LabState(
        name="gdt",
        dir=Path("/var/lib/gameday-lab/gdt"),
        dir_created=False,
        made_dirs=("/var/lib/gameday",),
        octet=7,
        bridge="gdt-br",
        prometheus_port=9390,
        loadgen_port=9391,
        rate=12.5,
        hosts=hosts,
        prometheus=ProcessRecord(pid=4242, start=99),
    )


def test_a_written_state_reads_back_equal(tmp_path: Path) -> None:
    state = two_host_state()
    state = state.with_host(dataclasses.replace(state.hosts[1], init=ProcessRecord(77, 1234)))

    write_state(tmp_path, state)

    assert read_state(tmp_path) == state
    assert not (tmp_path / (STATE_FILE + ".partial")).exists()


def test_a_state_file_written_before_the_typed_state_reads_whole(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text(EARLIER_STATE, encoding="utf-8")

    state = read_state(tmp_path)

    assert state is not None
    assert state.name == "gdx0" and state.bridge == "gdx0-br" and state.octet == 33
    assert state.made_dirs == ("/var/lib/gameday-lab/wt14lab-old",)
    assert state.hosts[0].netns == "gdx0-1" and state.hosts[0].veth == "gdx0-v1"
    assert state.hosts[0].init == ProcessRecord(32039, 80317)
    assert state.hosts[0].unshare == ProcessRecord(32038, 80317)
    assert state.prometheus == ProcessRecord(32043, 80321)
    assert state.loadgen == ProcessRecord(32049, 80322)
    # and it is written back in the very same form, so an earlier gameday can still read it
    assert state.to_json() == json.loads(EARLIER_STATE)


def test_processes_not_started_yet_are_recorded_as_null() -> None:
    state = two_host_state()

    written = state.to_json()

    assert written["loadgen"] is None
    assert json.loads(json.dumps(written))["hosts"][0]["init"] is None
    assert LabState.from_json(written).loadgen is None


def test_an_empty_or_absent_process_record_reads_as_none(tmp_path: Path) -> None:
    raw = json.loads(EARLIER_STATE)
    raw["hosts"][0]["init"] = {}
    del raw["loadgen"]

    state = LabState.from_json(raw)

    assert state.hosts[0].init is None and state.loadgen is None


def test_no_state_file_means_no_lab(tmp_path: Path) -> None:
    assert read_state(tmp_path) is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda raw: raw.update(version=2), "version 2"),
        (lambda raw: raw.pop("bridge"), "bridge is missing"),
        (lambda raw: raw["hosts"][0]["init"].update(pid="32039"), "hosts[0].init.pid"),
        (lambda raw: raw.update(hosts={}), "hosts is not a list"),
        (lambda raw: raw.update(made_dirs=[1]), "made_dirs is not a list of strings"),
        (lambda raw: raw.update(dir_created=1), "dir_created is not true or false"),
    ],
)
def test_a_damaged_state_file_is_a_lab_error_naming_the_field(
    tmp_path: Path, change: Callable[[Any], object], says: str
) -> None:
    raw = json.loads(EARLIER_STATE)
    change(raw)
    (tmp_path / STATE_FILE).write_text(json.dumps(raw), encoding="utf-8")

    with pytest.raises(LabError) as caught:
        read_state(tmp_path)

    assert str(tmp_path / STATE_FILE) in caught.value.message
    assert says in caught.value.message
    assert "gameday lab down" in caught.value.message


def test_a_file_that_is_not_json_is_a_lab_error(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json", encoding="utf-8")

    with pytest.raises(LabError, match="invalid JSON"):
        read_state(tmp_path)


def test_with_host_replaces_only_that_host() -> None:
    state = two_host_state()
    second = dataclasses.replace(state.hosts[1], unshare=ProcessRecord(5, 6))

    changed = state.with_host(second)

    assert changed.hosts == (state.hosts[0], second)
    assert state.hosts[1].unshare is None  # the original value is untouched
