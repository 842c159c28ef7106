"""Scenario files: what to break, where, for how long, and how we know it is fine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gameday.core.faults import FaultSpec


@dataclass(frozen=True)
class TargetSpec:
    tags: Mapping[str, str] = field(default_factory=dict)
    """Every tag must match (AND)."""
    groups: tuple[str, ...] = ()
    """Host must be in at least one of these groups (OR); empty = no group condition."""
    hosts: tuple[str, ...] = ()
    """Host must be one of these names; empty = no name condition."""
    exclude: tuple[str, ...] = ()
    percentage: float | None = None
    count: int | None = None
    max_concurrent: int | None = None
    seed: int | None = None
    line: int = 0


ProbeKind = Literal["prometheus", "http", "command", "system"]


@dataclass(frozen=True)
class Probe:
    name: str
    kind: ProbeKind
    query: str = ""
    """prometheus: the PromQL; command: the shell command; system: cpu|memory|load."""
    url: str = ""
    """http only."""
    host: str | None = None
    """command only: the inventory host it runs on."""
    timeout: float = 5.0
    expect_status: tuple[int, ...] = (200,)
    body_contains: str | None = None
    requests: int = 3
    """http only: requests per interval."""
    measure: str = "latency_p95"
    """http only: the number compared: latency_p50|latency_p95|latency_max|error_ratio."""
    min: float | None = None
    max: float | None = None
    unit: str = ""
    line: int = 0


@dataclass(frozen=True)
class SteadyState:
    interval: float = 5.0
    probes: tuple[Probe, ...] = ()


@dataclass(frozen=True)
class Schedule:
    duration: float
    warmup: float = 0.0
    cooldown: float = 0.0


@dataclass(frozen=True)
class AbortRule:
    probe: str | None = None
    """None with `no_data` set: any probe without data."""
    above: float | None = None
    below: float | None = None
    for_samples: int = 1
    """Consecutive breaching samples before the rule fires."""
    no_data: int | None = None
    """Consecutive polls without a value before the rule fires."""
    line: int = 0


@dataclass(frozen=True)
class RollbackStep:
    name: str
    run: str
    host: str | None = None
    """None: run on every target host."""
    required: bool = True
    timeout: float = 60.0


@dataclass(frozen=True)
class Scenario:
    file: str
    sha256: str
    id: str
    title: str
    description: str
    hypothesis: str
    targets: TargetSpec
    steady_state: SteadyState
    faults: tuple[FaultSpec, ...]
    schedule: Schedule
    abort_when: tuple[AbortRule, ...] = ()
    rollback: tuple[RollbackStep, ...] = ()
