"""The fault kinds, one module per family; `PARSERS` maps each `kind:` to its reader."""

from __future__ import annotations

from collections.abc import Callable

from gameday.core.faults.base import FaultSpec
from gameday.core.faults.custom import parse_custom
from gameday.core.faults.disk import parse_disk_fill
from gameday.core.faults.network import parse_partition
from gameday.core.faults.process import parse_kill, parse_pause, parse_service
from gameday.core.faults.stress import parse_cpu, parse_io, parse_memory
from gameday.core.faults.tc import parse_bandwidth, parse_latency, parse_loss
from gameday.core.yamlsrc import MapNode

PARSERS: dict[str, Callable[[MapNode], FaultSpec]] = {
    "network_partition": parse_partition,
    "network_latency": parse_latency,
    "packet_loss": parse_loss,
    "bandwidth": parse_bandwidth,
    "cpu_stress": parse_cpu,
    "memory_stress": parse_memory,
    "io_stress": parse_io,
    "disk_fill": parse_disk_fill,
    "process_kill": parse_kill,
    "process_pause": parse_pause,
    "service_stop": parse_service,
    "custom": parse_custom,
}
KINDS = tuple(PARSERS)
