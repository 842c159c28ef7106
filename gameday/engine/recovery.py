"""Recovery from a journal: revert, on each host, every fault the journal does not show as
verified reverted — after a crash, a killed console, or a revert that could not be confirmed.

The host's own record (its `fire.sh`, written when the fault was armed) is used first; the
journal's copy of the revert commands is the fallback. Outcomes are appended to the session's
own journal, so its findings show who reverted what, and when.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gameday.core.faults import FaultPlan
from gameday.core.formats.inventory import Inventory
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.core.session.state import FaultState, replay
from gameday.core.wording import CONFIRMED_BY_LEASE
from gameday.engine.faultrun import FaultRunner
from gameday.engine.ports import Transport
from gameday.errors import GamedayError, InputError

OpenTransport = Callable[[str], Transport]


@dataclass(frozen=True)
class HostRecovery:
    host: str
    reverted: tuple[str, ...]
    unconfirmed: Mapping[str, str]
    """fault id → why it could not be confirmed."""


CONFIRM_BACKOFF = (2.0, 4.0, 8.0, 16.0, 30.0)
"""Seconds between background confirm attempts of unconfirmed hosts (then every 30 s)."""

Listener = Callable[[ev.Event], None]


def open_faults(journal: Path) -> tuple[str, str, list[FaultState]]:
    """(session id, inventory file, faults that may still be active) as the journal tells."""
    read = read_journal(journal)
    if not read.events or not isinstance(read.events[0], ev.SessionStarted):
        raise InputError(str(journal), 1, "", "not a gameday journal (no session_started line)")
    start = read.events[0]
    return start.session_id, start.inventory_file, replay(read.events).open_faults()


def lost_hosts(journal: Path) -> frozenset[str]:
    """Hosts the session lost (its `host_lost` events): their own lease reverted them."""
    return frozenset(replay(read_journal(journal).events).lost)


def confirm_until_clean(
    attempt: Callable[[], bool],
    stop: threading.Event,
    backoff: Sequence[float] = CONFIRM_BACKOFF,
) -> bool:
    """Call `attempt` (itself bounded) until it returns True or `stop` is set, waiting longer
    after each failure. True when everything was confirmed."""
    for number in itertools.count():
        if stop.is_set():
            return False
        if attempt():
            return True
        if stop.wait(backoff[min(number, len(backoff) - 1)]):
            return False
    return False  # unreachable: count() never ends


def recover(
    journal: Path,
    open_transport: OpenTransport,
    *,
    sudo_of: Callable[[str], bool] = lambda _host: False,
    clock: Callable[[], float] = time.time,
    listener: Listener | None = None,
) -> list[HostRecovery]:
    """Revert and verify every open fault of the journal, hosts in parallel; append outcomes
    (and hand each appended event to `listener`). A fault on a host the session lost is
    journaled, once confirmed, as reverted by the host's lease."""
    session_id, _, faults = open_faults(journal)
    if not faults:
        return []
    lost = lost_hosts(journal)
    by_host: dict[str, list[FaultState]] = {}
    for fault in faults:
        by_host.setdefault(fault.host, []).append(fault)
    writer = JournalWriter.resume(journal, clock=clock)
    try:
        with ThreadPoolExecutor(max_workers=min(16, len(by_host))) as pool:
            futures = [
                pool.submit(
                    functools.partial(
                        _recover_host,
                        host,
                        faults=items,
                        session_id=session_id,
                        open_transport=open_transport,
                        sudo=sudo_of(host),
                        writer=writer,
                        lost=host in lost,
                        listener=listener,
                    )
                )
                for host, items in by_host.items()
            ]
            return [f.result() for f in futures]
    finally:
        writer.close()


def _recover_host(
    host: str,
    *,
    faults: list[FaultState],
    session_id: str,
    open_transport: OpenTransport,
    sudo: bool,
    writer: JournalWriter,
    lost: bool = False,
    listener: Listener | None = None,
) -> HostRecovery:
    try:
        transport = open_transport(host)
    except GamedayError as exc:
        return HostRecovery(host, (), {f.fault_id: exc.message for f in faults})
    runner = FaultRunner(transport, session_id, sudo=sudo)
    reverted: list[str] = []
    unconfirmed: dict[str, str] = {}
    try:
        for fault in faults:
            result = runner.revert(_plan_of(fault))
            by_lease = lost and result.ok
            stored = writer.append(
                ev.FaultReverted(
                    host=host,
                    fault_id=fault.fault_id,
                    kind=fault.kind,
                    verified=result.ok,
                    duration=result.duration,
                    detail=CONFIRMED_BY_LEASE if by_lease else result.detail,
                    by="lease" if by_lease else "recover",
                )
            )
            if listener is not None:
                listener(stored)
            if result.ok:
                reverted.append(fault.fault_id)
            else:
                unconfirmed[fault.fault_id] = result.detail
    finally:
        transport.close()
    return HostRecovery(host, tuple(reverted), unconfirmed)


def _plan_of(fault: FaultState) -> FaultPlan:
    return FaultPlan(
        kind=fault.kind,
        fault_id=fault.fault_id,
        host=fault.host,
        capability=(),
        inject=(),
        verify_active=(),
        revert=fault.revert,
        verify_reverted=fault.verify_reverted,
    )


def inventory_for(journal_inventory: str, override: str | None) -> Inventory:
    """The inventory named on the command line, else the one the session used."""
    return load_inventory(override or journal_inventory)
