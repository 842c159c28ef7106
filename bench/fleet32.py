"""A demo fleet for the console's figures: 32 hosts, one scenario faulting all of them at once
with 20 probes sampled every second (simulated: nothing is contacted)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from gameday.app.demo import DemoBackend
from gameday.core.formats.inventory import Inventory
from gameday.core.formats.inventory_loader import load_inventory
from gameday.ui.backend import ScenarioChoice, scenario_choice

HOSTS = 32
PROBES = 20


def write_fleet(folder: Path, duration: str = "30m") -> tuple[Path, Path]:
    """(inventory, scenario) files in `folder`."""
    hosts = {
        f"web-{i:02d}": {"address": f"192.0.2.{i + 1}", "tags": {"role": "web", "env": "bench"}}
        for i in range(HOSTS)
    }
    inventory = folder / "fleet32.yaml"
    inventory.write_text(yaml.safe_dump({"defaults": {"user": "gameday"}, "hosts": hosts}))
    probes = [
        {"name": "p95_latency", "prometheus": "p95", "unit": "ms", "max": 400},
        {"name": "error_rate", "prometheus": "errors", "unit": "%", "max": 5},
        {"name": "throughput", "prometheus": "rps", "unit": "req/s", "min": 100},
    ] + [
        {"name": f"signal_{i:02d}", "prometheus": f"signal_{i}", "max": 1e9}
        for i in range(PROBES - 3)
    ]
    scenario = folder / "bench32.yaml"
    document = {
        "id": "bench-32",
        "title": "32 hosts, 20 probes",
        "hypothesis": "The console keeps up.",
        "targets": {"select": {"tags": {"role": "web"}}},
        "steady_state": {"interval": "1s", "probes": probes},
        "faults": [{"kind": "cpu_stress", "workers": 1, "load": 50}],
        "schedule": {"warmup": "0s", "duration": duration, "cooldown": "0s"},
    }
    scenario.write_text(yaml.safe_dump(document, sort_keys=False))
    return inventory, scenario


@dataclass
class Fleet32Backend(DemoBackend):
    """The demo backend on the 32-host fleet and its one scenario."""

    files: tuple[Path, Path] | None = None

    @property
    def inventory(self) -> Inventory:
        assert self.files is not None
        if self._inventory is None:
            self._inventory = load_inventory(self.files[0])
        return self._inventory

    def scenarios(self) -> list[ScenarioChoice]:
        assert self.files is not None
        return [scenario_choice(self.files[1])]
