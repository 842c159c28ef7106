"""`gameday lab`: a real fleet on one Linux machine, for drills and tests.

    from gameday import lab
    info = lab.up(lab.LabConfig(name="gdtest", dir=Path("/var/lib/gameday-lab/t1"), hosts=3))
    info.hosts[0].address, info.inventory, info.key, info.known_hosts, info.prometheus_url
    lab.status(info.dir)      # LabStatus: per host ssh / node_exporter / shop / fault traces
    lab.down(info.dir)        # removes everything the lab made

Each host is its own network, PID, mount and UTS namespace on a bridge, running sshd,
node_exporter and the demo "shop" service under a supervisor; a load generator and a
Prometheus server run on this machine's loopback. Root on Linux only (LabError otherwise).
"""

from gameday.lab.fleet import down, info, up
from gameday.lab.health import render_status, status
from gameday.lab.model import (
    DEFAULT_NAME,
    HostStatus,
    LabConfig,
    LabHost,
    LabInfo,
    LabStatus,
    default_dir,
)
from gameday.lab.render import usage

__all__ = [
    "DEFAULT_NAME",
    "HostStatus",
    "LabConfig",
    "LabHost",
    "LabInfo",
    "LabStatus",
    "default_dir",
    "down",
    "info",
    "render_status",
    "status",
    "up",
    "usage",
]
