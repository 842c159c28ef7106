"""What the timeline says a network partition does: one plain sentence, read aloud in a room."""

from __future__ import annotations

import pytest

from tests.unit.test_faults import plan


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        (
            "{kind: network_partition, direction: ingress}",
            "Drop all incoming traffic, IPv4 and IPv6 (loopback and SSH port 22 stay open)",
        ),
        (
            "{kind: network_partition, direction: ingress, protocol: tcp, ports: [8080]}",
            "Drop incoming TCP traffic on port 8080, IPv4 and IPv6 (loopback and SSH port 22 "
            "stay open)",
        ),
        (
            "{kind: network_partition, direction: both, peers: [10.0.0.0/8]}",
            "Drop all incoming and outgoing traffic with 10.0.0.0/8 (loopback and SSH port 22 "
            "stay open)",
        ),
    ],
)
def test_a_partition_is_said_in_one_plain_sentence(spec: str, said: str) -> None:
    assert plan(spec).summary == said
