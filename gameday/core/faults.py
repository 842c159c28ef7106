"""The fault catalog: each kind's typed parameters and, per host, the shell commands to check
capability, inject, verify active, revert, and verify reverted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gameday.core.yamlsrc import Node


@dataclass(frozen=True)
class HostContext:
    """What a fault needs to know about the host it is planned for."""

    name: str
    ssh_port: int = 22
    """Never blocked by a network fault: it is the console's own path to the host."""
    sudo: bool = False
    """Prefix privileged commands with `sudo -n`."""
    state_dir: str = "/var/lib/gameday"


@dataclass(frozen=True)
class FaultPlan:
    """Rendered shell lines for one fault on one host. Every line is safe to send as is."""

    kind: str
    fault_id: str
    host: str
    capability: tuple[str, ...]
    """Each must exit 0; the stderr of the first that fails is the reason shown."""
    inject: tuple[str, ...]
    verify_active: tuple[str, ...]
    """Each exits 0 iff the fault is in effect."""
    revert: tuple[str, ...]
    """Idempotent: safe to run when the fault is already gone or was never injected."""
    verify_reverted: tuple[str, ...]
    """Each exits 0 iff no trace of the fault is left."""
    summary: str = ""


class FaultSpec(Protocol):
    kind: str
    line: int

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan: ...


def parse_fault(node: Node) -> FaultSpec:
    """Read one entry of a scenario's `faults:` list into its typed spec (raises InputError)."""
    raise node.error("fault kinds are not implemented yet")
