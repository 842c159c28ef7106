"""The composition root of a live session: files → plan → connections → drivers → engine.

Used by `gameday run` (headless) and, later, by the console. Only the hosts a session needs are
contacted: the targets, plus hosts named by command probes and rollback steps. Hosts spared by
the blast radius are never connected to.
"""

from __future__ import annotations

import functools
import gc
import getpass
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from gameday.core.formats.inventory import Inventory, NotifyTarget
from gameday.core.formats.inventory_loader import load_inventory
from gameday.core.formats.scenario import Scenario, load_scenario
from gameday.core.guard.holders import holder_text
from gameday.core.plan import Plan, build_plan
from gameday.core.session.control import ControlFile
from gameday.core.session.events import SessionMode
from gameday.core.session.journal import JournalWriter
from gameday.engine.connector import Connector
from gameday.engine.drivers import RunnerDriver
from gameday.engine.faultrun import DEFAULT_LEASE_SECONDS, FaultRunner
from gameday.engine.ladder import LadderPolicy, PolicyGate
from gameday.engine.ports import HostDriver, MetricSource, Transport
from gameday.engine.preflight import PreflightReport, check_only
from gameday.engine.session import Session, SessionConfig


@dataclass(frozen=True)
class LiveOptions:
    journal_dir: Path
    seed: int | None = None
    trust_new_hosts: bool = False
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    environment: str = ""
    mode: SessionMode = "headless"
    participants: tuple[tuple[str, str], ...] = ()
    ladder: LadderPolicy = "auto"
    """Headless: who steps up a ladder (the console asks its owner instead)."""
    gameday_name: str = ""
    notify: tuple[NotifyTarget, ...] = ()
    """The inventory's notification targets plus any `--notify URL`."""
    notify_wait: float = 5.0
    """Seconds pending notifications may take after the session's end."""


def load_plan(scenario_path: str, inventory_path: str, seed: int | None) -> Plan:
    """Read and check both files and choose the blast radius; nothing is contacted."""
    inventory: Inventory = load_inventory(inventory_path)
    scenario: Scenario = load_scenario(scenario_path)
    return build_plan(scenario, inventory, seed=seed)


def new_session_id(scenario_id: str) -> str:
    """Sortable and unique: `20261127-093012-web-cpu-1a2b` (at most 64 characters)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"{stamp}-{scenario_id[:40]}-{secrets.token_hex(2)}"


def hosts_to_contact(plan: Plan) -> list[str]:
    """Targets first, then hosts named by command probes or rollback steps."""
    names = list(plan.selection.targets)
    extra = [p.host for p in plan.scenario.steady_state.probes if p.host]
    extra += [r.host for r in plan.scenario.rollback if r.host]
    return list(dict.fromkeys(names + [h for h in extra if h is not None]))


@contextmanager
def live_session(plan: Plan, options: LiveOptions) -> Iterator[Session]:
    """Connect, build drivers and sources, open the journal; close everything on the way out.

    Connection failures do not raise: they become preflight failures in the journal, so the
    session stops before touching any host and says which one could not be reached.
    """
    from gameday.adapters.logfile import session_log
    from gameday.adapters.sources import build_sources, close_sources
    from gameday.adapters.ssh import make_connector
    from gameday.adapters.ssh_config import SshOptions

    session_id = new_session_id(plan.scenario.id)
    ssh = SshOptions(trust_new_hosts=options.trust_new_hosts)
    connector = make_connector(plan.inventory, ssh)
    with ExitStack() as stack:
        # What is alive now (modules, the plan, the console's screens) is frozen for the
        # session: the collector's full passes, which stop every thread, no longer walk it (one
        # took 24 ms in the middle of an 8-host launch here). Unfrozen after, so what the
        # session leaves behind is collected as usual.
        gc.freeze()
        stack.callback(gc.unfreeze)
        stack.enter_context(session_log(options.journal_dir / f"{session_id}.log"))
        stack.callback(connector.close_all)
        transports, unreachable, drivers = _connect(plan, session_id, options, connector)
        stack.callback(_close_drivers, drivers)
        sources: Mapping[str, MetricSource] = build_sources(
            plan.scenario, plan.inventory, transports
        )
        stack.callback(close_sources, sources)
        journal_path = options.journal_dir / f"{session_id}.jsonl"
        journal = JournalWriter(journal_path)
        stack.callback(journal.close)
        control = ControlFile(
            ControlFile.for_journal(journal_path),
            os.getpid(),
            session_id,
            str(journal_path),
            options.mode,
        )
        control.write()
        stack.callback(control.remove)
        config = SessionConfig(
            session_id=session_id,
            mode=options.mode,
            environment=options.environment,
            participants=options.participants,
            lease_seconds=options.lease_seconds,
            gameday_name=options.gameday_name,
        )
        session = Session(
            plan,
            drivers,
            sources,
            journal,
            config,
            unreachable=unreachable,
            ladder_gate=PolicyGate(options.ladder),
        )
        if options.notify:
            # Registered last, so it closes first: what it journals still reaches the journal.
            close = start_notifier(session, options.notify, journal_path, plan.inventory)
            stack.callback(close, options.notify_wait)
        yield session


def start_notifier(
    session: Session, targets: Sequence[NotifyTarget], journal: Path, inventory: Inventory
) -> Callable[[float], None]:
    """Subscribe a notifier to the session; returns its `close(wait)` (call before the
    journal closes, so undelivered notifications are still journaled)."""
    from gameday.adapters.notify import Notifier
    from gameday.core.notify import inventory_secrets

    notifier = Notifier(
        targets,
        record=session.record,
        journal_path=str(journal),
        extra_secrets=inventory_secrets(inventory),
    )
    session.subscribe(notifier)
    return notifier.close


def notify_targets(inventory: Inventory, urls: Sequence[str]) -> tuple[NotifyTarget, ...]:
    """The inventory's targets, then one generic webhook per `--notify URL` (raises InputError)."""
    from gameday.core.formats.inventory import Secret, check_notify_url
    from gameday.errors import InputError

    extra = []
    for number, url in enumerate(urls, start=1):
        try:
            checked = check_notify_url(url)
        except ValueError as exc:
            raise InputError("--notify", 0, "", str(exc)) from None
        extra.append(NotifyTarget(kind="webhook", name=f"--notify #{number}", url=Secret(checked)))
    return (*inventory.notify, *extra)


def live_check(plan: Plan, options: LiveOptions) -> PreflightReport:
    """Preflight only on a real fleet: connect, check every capability, sample each probe once.

    No journal, no session, nothing armed or injected; every connection is closed on return.
    """
    from gameday.adapters.sources import build_sources, close_sources
    from gameday.adapters.ssh import make_connector
    from gameday.adapters.ssh_config import SshOptions

    session_id = new_session_id(plan.scenario.id)
    connector = make_connector(plan.inventory, SshOptions(trust_new_hosts=options.trust_new_hosts))
    with ExitStack() as stack:
        stack.callback(connector.close_all)
        transports, unreachable, drivers = _connect(plan, session_id, options, connector)
        stack.callback(_close_drivers, drivers)
        sources = build_sources(plan.scenario, plan.inventory, transports)
        stack.callback(close_sources, sources)
        return check_only(plan, drivers, sources, unreachable)


def _connect(
    plan: Plan, session_id: str, options: LiveOptions, connector: Connector
) -> tuple[dict[str, Transport], dict[str, str], dict[str, HostDriver]]:
    """(transports, unreachable host → why, drivers): every host connected at once, each
    target's preflight taken as soon as it is connected (see RunnerDriver.prepare)."""
    holder = holder_text(plan.scenario.id, time.time(), socket.gethostname(), _user())
    made: dict[str, RunnerDriver] = {}

    def driver(name: str, transport: Transport) -> RunnerDriver:
        runner = FaultRunner(
            transport,
            session_id,
            sudo=plan.inventory.hosts[name].sudo,
            lease_seconds=options.lease_seconds,
            holder=holder,
        )
        return RunnerDriver(runner, reconnect=functools.partial(_reconnect, connector, name))

    def connected(name: str, transport: Transport) -> None:
        made[name] = driver(name, transport)
        made[name].prepare(plan.host_plans.get(name, ()))

    outcomes = connector.connect_all(hosts_to_contact(plan), then=connected)
    transports = {h: o.transport for h, o in outcomes.items() if o.transport is not None}
    unreachable = {h: o.error.message for h, o in outcomes.items() if o.error is not None}
    # a host whose hand-on failed still gets its driver: the session's preflight checks it
    drivers: dict[str, HostDriver] = {h: made.get(h) or driver(h, t) for h, t in transports.items()}
    return transports, unreachable, drivers


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "?"


def _reconnect(connector: Connector, host: str) -> Transport:
    connector.forget(host)
    return connector.get(host)


def _close_drivers(drivers: Mapping[str, HostDriver]) -> None:
    for driver in drivers.values():
        try:
            driver.close()
        except Exception:  # closing one host must not keep the others open
            continue
