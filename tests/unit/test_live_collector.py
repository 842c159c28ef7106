"""`live_session` freezes what is alive when a session starts, and only for the session: the
collector's full passes stop every thread, and must not land in a launch or a kill switch."""

from __future__ import annotations

import dataclasses
import gc
import socket
from pathlib import Path
from types import MappingProxyType

from gameday.app.live import LiveOptions, live_session
from gameday.core.formats.inventory import Host, Inventory
from gameday.core.formats.probes import Probe
from gameday.core.formats.scenario import SteadyState
from gameday.core.plan import Plan, build_plan
from tests.unit.test_session import HOSTS, _scenario


def _unreachable_plan() -> Plan:
    """Three hosts on a loopback port nothing listens on: every connection is refused at once,
    and the session stops in preflight without touching anything."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hosts = {
        name: Host(
            name=name, address="127.0.0.1", port=port, tags=MappingProxyType({"role": "web"})
        )
        for name in HOSTS
    }
    memory = Probe(name="memory", kind="system", query="memory", max=100.0)
    scenario = dataclasses.replace(
        _scenario(), steady_state=SteadyState(interval=5.0, probes=(memory,))
    )
    return build_plan(scenario, Inventory(file="inventory.yaml", hosts=hosts, groups={}))


def test_a_session_freezes_what_was_alive_before_it_and_unfreezes_it_after(
    tmp_path: Path,
) -> None:
    assert gc.get_freeze_count() == 0
    with live_session(_unreachable_plan(), LiveOptions(journal_dir=tmp_path)) as session:
        assert gc.get_freeze_count() > 0
        assert session.run().exit_code != 0  # the hosts cannot be reached: stopped in preflight
    assert gc.get_freeze_count() == 0, "what the session leaves behind must be collectable"
