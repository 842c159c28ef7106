"""custom: the scenario author's own commands, sent as written.

Each command is run by `sh -c '<command>'` (under `sudo -n` when the host needs sudo): it is the
author's shell, so gameday quotes it as one word and never looks inside. Without `verify` or
`verify_reverted` the matching phase is `true`, which proves nothing; the plan says so
(`verified` / `revert_verified` are False) and the console reports those phases as unverified.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gameday.core.faults.base import (
    FaultPlan,
    HostContext,
    Lines,
    command_of,
    label,
    opt_text,
)
from gameday.core.yamlsrc import MapNode


@dataclass(frozen=True, kw_only=True)
class Custom:
    line: int
    name: str | None = None
    inject: str
    revert: str
    verify: str | None = None
    verify_reverted: str | None = None
    capability: str | None = None
    kind: str = field(default="custom", init=False)

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan:
        lines = Lines(ctx, fault_id)
        capability = (self.capability,) if self.capability else ()
        title = self.name or "custom fault"
        unverified = [
            phase
            for phase, given in (("active", self.verify), ("reverted", self.verify_reverted))
            if given is None
        ]
        note = f" (unverified: {', '.join(unverified)})" if unverified else ""
        return FaultPlan(
            kind=self.kind,
            fault_id=fault_id,
            host=ctx.name,
            capability=(*lines.sudo_capability(), *(lines.sh(c) for c in capability)),
            inject=(lines.sh(self.inject),),
            verify_active=(lines.sh(self.verify) if self.verify else "true",),
            revert=(lines.sh(self.revert),),
            verify_reverted=(lines.sh(self.verify_reverted) if self.verify_reverted else "true",),
            summary=f"Run the scenario's own commands: {title}{note}",
            verified=self.verify is not None,
            revert_verified=self.verify_reverted is not None,
        )


def parse_custom(m: MapNode) -> Custom:
    return Custom(
        line=m.line,
        name=label(m),
        inject=command_of(m, "inject"),
        revert=command_of(m, "revert"),
        verify=opt_text(m, "verify"),
        verify_reverted=opt_text(m, "verify_reverted"),
        capability=opt_text(m, "capability"),
    )
