"""The catalog as a user reads it: example faults and the lines they run, for docs and tests.

`display(line)` shows a `[sudo -n] sh -c '<script>'` line as `sh> <script>` (or
`sudo sh> <script>`): the script without one level of quoting. The form is lossless — the line
is `render(("sh", "-c", script))` — so a reference in this form pins the exact line.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from gameday.core.faults.base import FaultPlan

EXAMPLES: dict[str, str] = {
    "network_partition": "kind: network_partition\ndirection: ingress\nports: [8080, 8443]\n"
    "peers: [10.0.0.0/24]",
    "network_latency": "kind: network_latency\ndelay: 100ms\njitter: 10ms\ninterface: eth0",
    "packet_loss": "kind: packet_loss\npercent: 2.5\ninterface: eth0",
    "bandwidth": "kind: bandwidth\nrate: 1mbit\nburst: 32K\ninterface: auto",
    "cpu_stress": "kind: cpu_stress\nworkers: 2\nload: 80",
    "memory_stress": "kind: memory_stress\nsize: 256M\nworkers: 2",
    "io_stress": "kind: io_stress\npath: /srv/data\nsize: 64M",
    "disk_fill": "kind: disk_fill\npath: /var/tmp\nsize: 1G\nkeep_free: 256M",
    "process_kill": "kind: process_kill\nprocess: nginx\nsignal: TERM\n"
    "restart: systemctl start nginx",
    "process_pause": "kind: process_pause\nprocess: nginx",
    "service_stop": "kind: service_stop\nservice: nginx.service",
    "custom": "kind: custom\ninject: touch /tmp/flag\nrevert: rm -f /tmp/flag\n"
    "verify: test -e /tmp/flag",
}
"""One example of each kind, as it would appear under `faults:`."""


def display(line: str) -> str:
    """`sh> script` for a line that runs a script, `sudo sh> script` under sudo, else the line."""
    words = shlex.split(line)
    if len(words) == 3 and words[:2] == ["sh", "-c"]:
        return f"sh> {words[2]}"
    if len(words) == 5 and words[:4] == ["sudo", "-n", "sh", "-c"]:
        return f"sudo sh> {words[4]}"
    return line


def display_plan(plan: FaultPlan) -> Iterator[str]:
    """`phase: line` for every line of the plan, in the order of a fault's life."""
    for phase, lines in plan.phases.items():
        for line in lines:
            yield f"{phase}: {display(line)}"


def example_blocks() -> str:
    """Each kind's example plan in the form docs/faults.md shows (to refresh the doc)."""
    from gameday.core.faults.base import HostContext
    from gameday.core.faults.registry import PARSERS
    from gameday.core.yamlsrc import load_yaml

    out: list[str] = []
    for kind, text in EXAMPLES.items():
        spec = PARSERS[kind](load_yaml("example.yaml", text).as_map())
        plan = spec.plan(HostContext("web-1"), "f1a2b3c4", 120)
        out.extend([f"## {kind}", *display_plan(plan)])
    return "\n".join(out)


if __name__ == "__main__":
    print(example_blocks())
