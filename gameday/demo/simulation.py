"""The demo's simulated fleet: in-memory hosts with a set of active faults, and metrics that
react to them.

`Fleet` is the shared truth: which faults are active on which host. `DemoHost` implements the
engine's `HostDriver` port over it (check, arm, inject, revert, each with a small realistic
delay and the commands of the real plan recorded as if they ran); `DemoSource` implements the
`MetricSource` port, computing a probe's value from what is active right now, plus noise drawn
from a seeded generator, so the same seed gives the same numbers for the same sequence of
faults.

The model, in words: the error rate rises with the share of API (and, less, web) nodes that
are cut off or killed; latency rises with the share of web nodes under CPU stress, throttled
bandwidth or added latency; throughput falls with errors; the order queue grows while an API
node is down, and its exporter sometimes does not answer while the API server is being killed.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gameday.core.faults import FaultPlan
from gameday.core.formats.inventory import Inventory
from gameday.core.formats.probes import Probe
from gameday.core.session.events import RevertBy, Step
from gameday.engine.ports import (
    CommandRecord,
    LeaseLoss,
    Outcome,
    PendingRevert,
    Reading,
    RevertLater,
)

NETEM_KINDS = frozenset({"network_latency", "packet_loss"})
"""Fault kinds that need the kernel's netem queueing discipline."""

DOWN = {"network_partition": 1.0, "service_stop": 1.0, "process_pause": 0.8, "process_kill": 0.35}
"""How much of a node's traffic fails while the fault is active (a killed process restarts)."""

SLOW = {
    "network_latency": 1.0,
    "bandwidth": 0.9,
    "cpu_stress": 0.6,
    "packet_loss": 0.5,
    "io_stress": 0.3,
    "memory_stress": 0.3,
    "disk_fill": 0.1,
}
"""How much a node slows down while the fault is active (summed per node, capped at 1.5)."""


class Fleet:
    """Which faults are active on which host. Thread-safe; hosts and sources share one."""

    def __init__(self, inventory: Inventory, missing: Mapping[str, frozenset[str]]) -> None:
        self.roles = {name: host.tags.get("role", "") for name, host in inventory.hosts.items()}
        """Host → its `role` tag."""
        self.missing = dict(missing)
        """Host → kernel features or tools it lacks (e.g. `netem`)."""
        self._active: dict[str, dict[str, str]] = {name: {} for name in inventory.hosts}
        self._lock = threading.Lock()

    def activate(self, host: str, fault_id: str, kind: str) -> None:
        with self._lock:
            self._active.setdefault(host, {})[fault_id] = kind

    def deactivate(self, host: str, fault_id: str) -> None:
        with self._lock:
            self._active.get(host, {}).pop(fault_id, None)

    def active(self) -> dict[str, tuple[str, ...]]:
        """Host → kinds of the faults active on it (hosts without any are left out)."""
        with self._lock:
            return {h: tuple(f.values()) for h, f in self._active.items() if f}

    def view(self) -> FleetView:
        return FleetView(self.roles, self.active())


@dataclass(frozen=True)
class FleetView:
    """A moment of the fleet, as a metric model sees it."""

    roles: Mapping[str, str]
    active: Mapping[str, tuple[str, ...]]

    def share(self, role: str, weights: Mapping[str, float], cap: float = 1.0) -> float:
        """Mean over the hosts of `role` of each host's summed weights (capped at `cap`)."""
        hosts = [h for h, r in self.roles.items() if r == role]
        if not hosts:
            return 0.0
        total = 0.0
        for host in hosts:
            total += min(cap, sum(weights.get(kind, 0.0) for kind in self.active.get(host, ())))
        return total / len(hosts)

    def hosts_with(self, role: str, kind: str) -> list[str]:
        return sorted(
            h for h, kinds in self.active.items() if self.roles.get(h) == role and kind in kinds
        )


Model = Callable[[FleetView, random.Random], Reading]


def error_rate(view: FleetView, rng: random.Random) -> Reading:
    value = (
        0.25
        + 6.5 * view.share("api", DOWN)
        + 3.0 * view.share("web", DOWN)
        + 0.4 * view.share("web", SLOW, cap=1.5)
        + rng.gauss(0, 0.06)
    )
    return Reading(round(max(0.0, value), 3))


def p95_latency(view: FleetView, rng: random.Random) -> Reading:
    value = (
        150
        + 260 * view.share("web", SLOW, cap=1.5)
        + 400 * view.share("api", DOWN)
        + rng.gauss(0, 8)
    )
    return Reading(round(max(1.0, value), 1))


def throughput(view: FleetView, rng: random.Random) -> Reading:
    errors = error_rate(view, rng).value or 0.0
    value = 520 * (1 - errors / 100) - 120 * view.share("web", SLOW, cap=1.5) + rng.gauss(0, 6)
    return Reading(round(max(0.0, value), 1))


def queue_depth(view: FleetView, rng: random.Random) -> Reading:
    killed = view.hosts_with("api", "process_kill")
    if killed and rng.random() < 0.2:
        return Reading(None, f"scrape of {killed[0]}:9100 failed: connection reset by peer")
    value = 40 + 600 * view.share("api", DOWN) + rng.gauss(0, 5)
    return Reading(float(max(0, round(value))))


MODELS: dict[str, Model] = {
    "error_rate": error_rate,
    "p95_latency": p95_latency,
    "throughput": throughput,
    "queue_depth": queue_depth,
}
"""Probe name → how the demo computes it. Other names get a quiet value within thresholds."""


def quiet_model(probe: Probe) -> Model:
    """A value comfortably within the probe's thresholds, with a little noise."""
    if probe.max is not None:
        centre = probe.max * 0.5 if probe.min is None else (probe.min + probe.max) / 2
    elif probe.min is not None:
        centre = probe.min * 1.5 if probe.min > 0 else probe.min + 1
    else:
        centre = 1.0

    def model(_view: FleetView, rng: random.Random) -> Reading:
        return Reading(round(centre * (1 + rng.gauss(0, 0.02)), 3))

    return model


class DemoSource:
    """One probe of the demo: the model's value for the fleet as it is now (MetricSource)."""

    def __init__(self, probe: Probe, fleet: Fleet, *, seed: int, delay: float = 1.0) -> None:
        self.name = probe.name
        self._fleet = fleet
        self._model = MODELS.get(probe.name) or quiet_model(probe)
        self._rng = random.Random(f"{seed}:{probe.name}")
        self._delay = delay
        self._lock = threading.Lock()

    def sample(self) -> Reading:
        with self._lock:
            reading = self._model(self._fleet.view(), self._rng)
            pause = self._rng.uniform(0.004, 0.02) * self._delay
        if pause > 0:
            time.sleep(pause)  # a scrape takes a few milliseconds
        return reading

    def close(self) -> None:
        pass


class DemoHost:
    """One simulated host (HostDriver): the real plan's commands, "run" against the Fleet.

    Each command takes a few simulated milliseconds (`delay` scales the real sleep; 0 makes
    the demo as fast as possible, the reported durations stay the same). A host that lacks
    `netem` fails the capability check of netem faults with the kernel's own message.
    """

    def __init__(self, host: str, fleet: Fleet, *, seed: int, delay: float = 1.0) -> None:
        self.host = host
        self._fleet = fleet
        self._rng = random.Random(f"{seed}:{host}")
        self._delay = delay
        self._lock = threading.Lock()
        self.heartbeats = 0
        self.ran: list[str] = []
        """Rollback and other plain commands, in order."""

    # --- HostDriver -------------------------------------------------------------------------
    def check(self, plan: FaultPlan) -> Outcome:
        if plan.kind in NETEM_KINDS and "netem" in self._fleet.missing.get(self.host, ()):
            reason = "Error: Specified qdisc kind is unknown. (this kernel has no sch_netem)"
            return self._commands("capability", plan.capability, fail_last=reason)
        return self._commands("capability", plan.capability)

    def arm(self, plan: FaultPlan, deadline: float) -> Outcome:
        outcome = self._commands("arm", ("gameday-arm " + plan.fault_id,))
        return Outcome(True, commands=outcome.commands, duration=outcome.duration, timer="setsid")

    def inject(self, plan: FaultPlan) -> Outcome:
        injected = self._commands("inject", plan.inject)
        self._fleet.activate(self.host, plan.fault_id, plan.kind)
        verified = self._commands("verify_active", plan.verify_active)
        return _joined(injected, verified)

    def revert(self, plan: FaultPlan) -> Outcome:
        reverted = self._commands("revert", plan.revert)
        self._fleet.deactivate(self.host, plan.fault_id)
        verified = self._commands("verify_reverted", plan.verify_reverted)
        return _joined(reverted, verified)

    def send_revert(self, plans: Sequence[FaultPlan], by: RevertBy) -> PendingRevert:
        return RevertLater(lambda _deadline: {p.fault_id: self.revert(p) for p in plans})

    def heartbeat(self) -> bool:
        with self._lock:
            self.heartbeats += 1
        return True

    def lease_loss(self) -> LeaseLoss | None:
        return None  # a simulated host always answers

    def run(self, command: str, timeout: float) -> Outcome:
        with self._lock:
            self.ran.append(command)
        return self._commands("revert", (command,))

    def close(self) -> None:
        pass

    # --- simulation -------------------------------------------------------------------------
    def _commands(
        self, step: Step, lines: Sequence[str], *, fail_last: str | None = None
    ) -> Outcome:
        records: list[CommandRecord] = []
        for index, line in enumerate(lines):
            with self._lock:
                seconds = round(self._rng.uniform(0.012, 0.045), 3)
            if self._delay > 0:
                time.sleep(seconds * self._delay)
            failed = fail_last is not None and index == len(lines) - 1
            records.append(
                CommandRecord(
                    step,
                    line,
                    2 if failed else 0,
                    seconds,
                    fail_last or "" if failed else "",
                )
            )
        duration = round(sum(r.duration for r in records), 3)
        if fail_last is not None:
            return Outcome(False, fail_last, tuple(records), duration)
        return Outcome(True, "", tuple(records), duration)


def _joined(first: Outcome, second: Outcome) -> Outcome:
    return Outcome(
        first.ok and second.ok,
        first.detail or second.detail,
        first.commands + second.commands,
        round(first.duration + second.duration, 3),
    )
