"""When starting a scenario needs more than a yes: its id typed by the facilitator.

A start that reaches production (a target tagged `production` or `prod` under any tag key,
e.g. `env: production`) or more hosts than the console's limit must be confirmed by typing the
scenario's id, so that a reflex `y` cannot launch it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gameday.core.plan import Plan

PRODUCTION_VALUES = frozenset({"production", "prod"})
DEFAULT_TYPED_OVER = 10
"""More targets than this need the scenario id typed (the console's `--confirm-over`)."""


def production_targets(plan: Plan) -> list[str]:
    """Targets with a tag whose value says production (case does not matter)."""
    found = []
    for name in plan.selection.targets:
        host = plan.inventory.hosts.get(name)
        tags = host.tags if host is not None else {}
        if any(str(value).strip().lower() in PRODUCTION_VALUES for value in tags.values()):
            found.append(name)
    return found


def typed_confirmation_reason(plan: Plan, typed_over: int = DEFAULT_TYPED_OVER) -> str:
    """Why the scenario id must be typed to start this plan, or "" when a yes is enough."""
    production = production_targets(plan)
    if production:
        return f"it reaches production ({', '.join(production)})"
    count = len(plan.selection.targets)
    if count > typed_over:
        return f"it targets {count} hosts (more than {typed_over})"
    return ""
