"""A stand-in console for crash tests: connects over SSH, arms and injects one file fault,
keeps the lease alive, prints `injected <watcher-pid>`, then waits to be killed (≤120 s).

argv: JSON {"port", "key", "known_hosts", "state", "effect", "lease", "deadline"} for a file
fault on 127.0.0.1, or {"inventory", "host", "fault_yaml", "lease", "deadline"} for a catalog
fault on an inventory host (the lab).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import MappingProxyType

# run as a script: the checkout's root makes `tests.runner_tools` importable
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    spec = json.loads(sys.argv[1])
    from gameday.adapters.ssh import SshConnector
    from gameday.adapters.ssh_config import SshOptions
    from gameday.core.faults import FaultPlan
    from gameday.core.formats.inventory import Host, Inventory
    from gameday.engine.faultrun import FaultRunner
    from tests.runner_tools import LeaseKeeper

    options = SshOptions(
        ssh_config=None, user_known_hosts=None, use_agent=False, look_for_keys=False
    )
    if "inventory" in spec:
        from gameday.core.faults import HostContext, parse_fault
        from gameday.core.formats.inventory_loader import load_inventory
        from gameday.core.yamlsrc import load_yaml

        inventory = load_inventory(spec["inventory"])
        name = spec["host"]
        transport = SshConnector(inventory, options).open(name)
        runner = FaultRunner(transport, "crash-test", lease_seconds=spec["lease"])
        fault = parse_fault(load_yaml("fault.yaml", spec["fault_yaml"]))
        plan = fault.plan(HostContext(name=name), "f1", spec["deadline"])
    else:
        host = Host(name="web-1", address="127.0.0.1", port=spec["port"], identity_file=spec["key"])
        inventory = Inventory(
            file="inventory.yaml",
            hosts=MappingProxyType({"web-1": host}),
            groups=MappingProxyType({}),
            known_hosts=spec["known_hosts"],
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
