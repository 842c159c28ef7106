"""A stand-in console for crash tests: connects over SSH, arms and injects one file fault,
keeps the lease alive, prints `injected <watcher-pid>`, then waits to be killed (≤120 s).

argv: JSON {"port", "key", "known_hosts", "state", "effect", "lease", "deadline"}
"""

from __future__ import annotations

import json
import sys
import time
from types import MappingProxyType


def main() -> int:
    spec = json.loads(sys.argv[1])
    from gameday.adapters.ssh import SshConnector, SshOptions
    from gameday.core.faults import FaultPlan
    from gameday.core.inventory import Host, Inventory
    from gameday.engine.faultrun import FaultRunner, LeaseKeeper

    host = Host(name="web-1", address="127.0.0.1", port=spec["port"], identity_file=spec["key"])
    inventory = Inventory(
        file="inventory.yaml",
        hosts=MappingProxyType({"web-1": host}),
        groups=MappingProxyType({}),
        known_hosts=spec["known_hosts"],
    )
    options = SshOptions(
        ssh_config=None, user_known_hosts=None, use_agent=False, look_for_keys=False
    )
    transport = SshConnector(inventory, options).open("web-1")
    runner = FaultRunner(
        transport, "crash-test", state_dir=spec["state"], lease_seconds=spec["lease"]
    )
    effect = spec["effect"]
    plan = FaultPlan(
        kind="custom",
        fault_id="f1",
        host="web-1",
        capability=("true",),
        inject=(f"touch {effect}",),
        verify_active=(f"test -f {effect}",),
        revert=(f"rm -f {effect}",),
        verify_reverted=(f"test ! -e {effect}",),
    )
    for step in (runner.check(plan), runner.arm(plan, spec["deadline"]), runner.inject(plan)):
        if not step.ok:
            print(f"failed {step.step}: {step.detail}", flush=True)
            return 1
    keeper = LeaseKeeper([runner], interval=spec["lease"] / 3)
    keeper.start()
    print(f"injected {runner.watcher_pid}", flush=True)
    time.sleep(120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
