"""The fault catalog: each kind's typed parameters and, per host, the shell commands to check
capability, inject, verify active, revert, and verify reverted.

`parse_fault` reads one `faults:` entry into a frozen spec; `spec.plan(ctx, fault_id, duration)`
renders its lines for one host. The kinds live in `gameday.core.faults.registry`, one module per
family; docs/faults.md lists every kind's parameters and the exact commands.
"""

from __future__ import annotations

import difflib

from gameday.core.faults.base import FaultPlan, FaultSpec, HostContext
from gameday.core.faults.registry import KINDS, PARSERS
from gameday.core.yamlsrc import Node

__all__ = ["KINDS", "FaultPlan", "FaultSpec", "HostContext", "parse_fault"]


def parse_fault(node: Node) -> FaultSpec:
    """Read one entry of a scenario's `faults:` list into its typed spec (raises InputError:
    an unknown kind lists the known ones; an unknown key, a wrong type or a value that could
    change a command's shape names its field)."""
    m = node.as_map()
    kind_node = m.require("kind")
    kind = kind_node.as_str()
    parser = PARSERS.get(kind)
    if parser is None:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise kind_node.error(
            f"unknown fault kind {kind!r}: {hint}known kinds are {', '.join(KINDS)}"
        )
    spec = parser(m)
    m.done()
    return spec
