"""Which kind of file a path holds — scenario or inventory — by its name and shape."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml

from gameday.core.yamlsrc import read_text
from gameday.errors import GamedayError

Kind = Literal["scenario", "inventory"]
YAML_SUFFIXES = (".yaml", ".yml")
INVENTORY_SUFFIXES = (".json", ".ini", ".cfg", ".hosts", ".inventory")
SCENARIO_MARKERS = frozenset(
    ("id", "faults", "steady_state", "schedule", "hypothesis", "abort_when", "rollback")
)
"""Top-level keys that only a scenario has (`targets` is left out: an Ansible group may be
called that)."""


def detect_kind(path: str) -> Kind:
    """Scenario or inventory, by the file's name and shape.

    - `.json`, `.ini`, `.cfg`, `.hosts`, `.inventory`: inventory (Ansible).
    - A YAML mapping with any of the top-level keys `id`, `faults`, `steady_state`, `schedule`,
      `hypothesis`, `abort_when`, `rollback`: scenario.
    - YAML without them: inventory (gameday's `hosts:` format or an Ansible YAML inventory);
      so is a file that is not YAML at all when its name does not end in `.yaml`/`.yml`
      (Ansible INI inventories often have no suffix).
    - A `.yaml`/`.yml` file that cannot be read as a YAML mapping: scenario (the scenario
      loader then says what is wrong with it, at its line).
    """
    suffix = Path(path).suffix.lower()
    if suffix in INVENTORY_SUFFIXES:
        return "inventory"
    unreadable: Kind = "scenario" if suffix in YAML_SUFFIXES else "inventory"
    try:
        root = yaml.compose(read_text(path), Loader=yaml.SafeLoader)
    except (GamedayError, yaml.YAMLError, RecursionError):
        return unreadable
    if not isinstance(root, yaml.MappingNode):
        return unreadable
    keys = {str(key.value) for key, _ in root.value if isinstance(key, yaml.ScalarNode)}
    return "scenario" if keys & SCENARIO_MARKERS else "inventory"
