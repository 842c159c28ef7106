"""What the lab tests share: how they call gameday, the shop's error rate as Prometheus sees
it, a scenario that cuts one shop node until the error-rate abort fires, and a host's firewall
as read from outside the SSH path."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gameday.lab import LabInfo

GAMEDAY = [sys.executable, "-m", "gameday.cli"]
"""`gameday` from this checkout, as a subprocess."""

ERROR_RATE = (
    "100 * sum(rate(loadgen_errors_total[5s]))"
    " / clamp_min(sum(rate(loadgen_requests_total[5s])), 1)"
)
"""The lab's load generator: the share of its requests that failed, in %."""


def partition_abort(scenario_id: str) -> str:
    """A scenario cutting lab-1's shop port (ingress 8080) for up to 90 s; the error rate
    passes 10% for 2 samples long before, so the session aborts and reverts."""
    return f"""
id: {scenario_id}
title: Cutting one shop node trips the error-rate abort
hypothesis: The fleet absorbs one node loss with under 10% errors.
targets: {{select: {{hosts: [lab-1]}}}}
steady_state:
  interval: 1s
  probes:
    - name: error_rate
      prometheus: "{ERROR_RATE}"
      unit: "%"
      max: 10
faults:
  - kind: network_partition
    direction: ingress
    ports: [8080]
schedule: {{warmup: 1s, duration: 90s, cooldown: 2s}}
abort_when:
  - {{probe: error_rate, above: 10, for: 2}}
"""


def long_partition(scenario_id: str, title: str) -> str:
    """A scenario cutting the shop port of lab-1 and lab-3 for 5 minutes with no abort rule:
    only a person (the kill switch, `gameday abort`) ends it early."""
    return f"""
id: {scenario_id}
title: {title}
hypothesis: n/a
targets: {{select: {{hosts: [lab-1, lab-3]}}}}
steady_state:
  interval: 1s
  probes:
    - name: error_rate
      prometheus: "{ERROR_RATE}"
      unit: "%"
      max: 100
faults:
  - kind: network_partition
    direction: ingress
    ports: [8080]
schedule: {{duration: 5m}}
"""


def headless_run(scenario: Path, inventory: Path, journals: Path, *extra: str) -> list[str]:
    """`gameday run` as a pipeline would call it."""
    return [
        *GAMEDAY, "run", str(scenario), "-i", str(inventory), "--headless", "--yes",
        "--journal-dir", str(journals), *extra,
    ]  # fmt: skip


def wait_until(condition: Callable[[], object], limit: float, what: str) -> None:
    """Poll `condition` every tenth of a second; fail the test after `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {limit:g} s waiting for {what}")


def wait_for_rates(lab: LabInfo) -> None:
    """A lab that just started has no rates yet: wait (bounded) until the probe has data."""
    from prometheus_api_client import PrometheusConnect

    prometheus = PrometheusConnect(lab.prometheus_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if prometheus.custom_query(ERROR_RATE, params={"timeout": "2s"}):
            return
        time.sleep(0.5)
    pytest.fail("the lab's Prometheus has no load-generator rates after 60 s")


def chains(lab: LabInfo, host: str) -> str:
    """The host's iptables rules (`iptables -S`), read in its network namespace."""
    out = subprocess.run(
        ["ip", "netns", "exec", lab.host(host).netns, "iptables", "-S"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return out.stdout
