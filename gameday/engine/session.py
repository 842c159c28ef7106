"""The session engine: one GameDay from preflight to verdict, for the console and for CI alike.

    preflight → baseline → warmup → for each wave: inject → monitor → revert
              → rollback → cooldown → after → verdict

Every fact goes through `_emit`: appended to the journal (fsynced) first, then folded into
`state` with the same reducer a replay uses, then handed to subscribers (the UI posts it as a
message; the headless printer prints it). Subscribers are called from engine threads.

`kill_switch()` may be called from any thread at any time, any number of times: it latches
(no injection starts after it), reverts every fault that may be active on every host in
parallel, and reports each host's outcome. Abort rules and signals take the same path. Every
revert (kill switch, end of a wave, a fault injected after the kill switch) goes through one
path, `gameday.engine.revert.Reverter`: every host asked before any answer is awaited, one
deadline for all, each batch of answers journaled with one fsync.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from gameday import __version__
from gameday.core.faults import FaultPlan
from gameday.core.formats.scenario import RollbackStep
from gameday.core.plan import Plan
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, redact
from gameday.core.session.snapshot import scenario_snapshot
from gameday.core.session.state import SessionState
from gameday.core.steady import AbortTracker, abort_reason, evaluate
from gameday.core.wording import lost_sentence, rule_text
from gameday.engine.clock import SystemClock
from gameday.engine.faultrun import DEFAULT_LEASE_SECONDS
from gameday.engine.heartbeat import Heartbeats
from gameday.engine.ladder import (
    LadderHooks,
    LadderResult,
    LadderRun,
    PolicyGate,
    owner_of,
)
from gameday.engine.ports import (
    Clock,
    HostDriver,
    LadderGate,
    MetricSource,
    Outcome,
    Reading,
    command_events,
)
from gameday.engine.revert import HostReverted, Reverter
from gameday.engine.sampling import Sampler, describe_reading
from gameday.engine.verdict import EXIT_CODES, verdict_of
from gameday.exit_codes import ExitCode

Listener = Callable[[ev.Event], None]

NOTHING_TO_VERIFY = "the revert ran; this fault has no check that it is gone (unverified)"


@dataclass(frozen=True)
class SessionConfig:
    session_id: str
    mode: ev.SessionMode = "headless"
    environment: str = ""
    revert_grace: float = 60.0
    """Host timers fire at inject + duration + grace: the console reverts first when alive."""
    heartbeat_interval: float = 1.0
    baseline_polls: int = 5
    """Polls allowed for the steady state to hold before the experiment."""
    participants: tuple[tuple[str, str], ...] = ()
    """(name, role) pairs announced at the start."""
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    """The hosts' lease: a host silent past `lease + 2 s` during a revert is unconfirmed."""
    gameday_name: str = ""


@dataclass(frozen=True)
class SessionResult:
    verdict: ev.Verdict | None
    """None when the session stopped in preflight, before anything was touched."""
    exit_code: ExitCode
    reason: str


class Session:
    def __init__(
        self,
        plan: Plan,
        drivers: Mapping[str, HostDriver],
        sources: Mapping[str, MetricSource],
        journal: JournalWriter,
        config: SessionConfig,
        *,
        clock: Clock | None = None,
        unreachable: Mapping[str, str] | None = None,
        ladder_gate: LadderGate | None = None,
    ) -> None:
        self.plan = plan
        self.ladder_gate: LadderGate = ladder_gate or PolicyGate("auto")
        """Who decides each step up the ladder (the console sets its own before `run`)."""
        self._ladder: LadderResult | None = None
        self.config = config
        self.state = SessionState()
        self._drivers = dict(drivers)
        self._journal = journal
        self._clock = clock or SystemClock()
        self._unreachable = dict(unreachable or {})
        self._probes = {p.name: p for p in plan.scenario.steady_state.probes}
        self._sampler = Sampler(self._probes, sources)
        self._plans = {(p.host, p.fault_id): p for ps in plan.host_plans.values() for p in ps}
        self._emit_lock = threading.RLock()
        self._unapplied: deque[ev.Event] = deque()  # written, not yet on disk nor in `state`
        self._reverter = Reverter(
            self._drivers, lease=config.lease_seconds, on_batch=self._reverted_batch
        )
        self._killed = threading.Event()
        self._stop = threading.Event()
        self._heartbeats = Heartbeats(self._drivers, self._lease_lost)
        self._listeners: list[Listener] = []
        self._tracker = AbortTracker(plan.scenario.abort_when)
        self._deviated = False
        self._rollback_failed: list[str] = []
        """Required rollback steps that failed: the system may not be back as it was."""
        self._hosts_pool: ThreadPoolExecutor | None = None

    # --- what the UI, the CLI and signal handlers call ------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def killed(self) -> bool:
        return self._killed.is_set()

    def add_note(
        self, author: str, text: str, tag: ev.NoteTag = "note", owner: str = "", due: str = ""
    ) -> None:
        self._emit(ev.NoteAdded(actor=author, text=text, tag=tag, owner=owner, due=due))

    def record(self, event: ev.Event) -> ev.Event:
        """Journal a fact from outside the engine (a notification that failed), in order."""
        return self._emit(event)

    def kill_switch(self, source: str, reason: str = "") -> None:
        """Stop injecting, revert everything that may be active, verify. Idempotent, any thread."""
        started = time.monotonic()
        first = not self._killed.is_set()
        self._killed.set()  # no injection starts after this
        if self.state.ended_at is not None:
            self._stop.set()
            return  # the session is over (its journal may be closed): recover's job now
        open_plans = self._open_plans()
        if not open_plans and not first:
            return

        def pulled() -> None:
            # after every host was asked: the journal's fsync never delays a revert, and the
            # session's own revert phase (woken by _stop) finds these faults already claimed
            if first:
                self._emit(ev.KillSwitchPulled(source=source, reason=reason))
            self._stop.set()

        outcomes = self._reverter.revert(
            open_plans,
            "kill_switch",
            still_open=self._is_open,
            after_asking=pulled,
            report_waited=first,
        )
        if outcomes or first:
            self._emit(ev.KillSwitchDone(latency=time.monotonic() - started, hosts=outcomes))

    def run(self) -> SessionResult:
        """Run the whole session in the calling thread; returns the verdict and exit code."""
        try:
            self._start()
            if not self._preflight():
                return self._finish_without_faults()
            if self._baseline() and self._warmup():
                if self.plan.selection.stages:
                    self._run_ladder()
                else:
                    for wave in self.plan.selection.waves:
                        if not self._run_wave(wave):
                            break
            self._revert_everything_open()
            if self.state.faults_touched:
                self._rollback()
                if not self._heartbeats.lost:  # a lost host needs a human now, not a cooldown
                    self._observe("cooldown", self.plan.scenario.schedule.cooldown)
                self._after()
            return self._finish()
        finally:
            self._heartbeats.stop()
            self._sampler.close()
            self._reverter.close()
            if self._hosts_pool is not None:
                self._hosts_pool.shutdown(wait=False)

    # --- phases -----------------------------------------------------------------------------
    def _start(self) -> None:
        """The session's opening facts, journaled with one fsync (nothing is touched yet)."""
        scenario = self.plan.scenario
        opening: list[ev.Event] = [
            ev.SessionStarted(
                session_id=self.config.session_id,
                scenario_id=scenario.id,
                scenario_title=scenario.title,
                scenario_file=os.path.abspath(scenario.file),
                scenario_sha256=scenario.sha256,
                hypothesis=scenario.hypothesis,
                inventory_file=os.path.abspath(self.plan.inventory.file),
                environment=self.config.environment,
                mode=self.config.mode,
                gameday_name=self.config.gameday_name,
                gameday_version=__version__,
                scenario=scenario_snapshot(scenario),
            )
        ]
        for name, role in self.config.participants:
            opening.append(ev.ParticipantJoined(actor=name, name=name, role=role))
        selection = self.plan.selection
        opening.append(
            ev.PlanMade(
                targets=selection.targets,
                spared=dict(selection.spared),
                # A ladder's waves are per stage (in its stage events), not the plan's.
                waves=() if selection.stages else selection.waves,
                seed=selection.seed_used,
                faults={h: tuple(p.fault_id for p in ps) for h, ps in self.plan.host_plans.items()},
            )
        )
        if selection.stages:
            sizes = tuple(stage.text for stage in self.plan.scenario.targets.stages)
            opening.append(ev.LadderPlanned(stages=selection.stages, sizes=sizes))
        self._emit_batch(opening)

    def _preflight(self) -> bool:
        self._emit_batch(
            [
                ev.PhaseChanged(phase="preflight"),
                *(
                    ev.PreflightChecked(host=host, check="connect", ok=False, detail=reason)
                    for host, reason in self._unreachable.items()
                ),
            ]
        )
        hosts = [h for h in self.plan.selection.targets if h in self._drivers]
        self._gathered(hosts, self._check_host)
        return not self.state.preflight_failures

    def _check_host(self, host: str) -> list[ev.Event]:
        """The host's capability checks, as the facts to journal (see `_gathered`)."""
        driver = self._drivers[host]
        found: list[ev.Event] = []
        for plan in self.plan.host_plans.get(host, ()):
            outcome = driver.check(plan)
            found += command_events(host, plan.fault_id, outcome)
            found.append(
                ev.PreflightChecked(
                    host=host,
                    check=f"{plan.kind} capability",
                    ok=outcome.ok,
                    detail=outcome.detail,
                )
            )
        return found

    def _baseline(self) -> bool:
        """Steady state must hold before anything is broken, else nothing is.

        A few polls are allowed (a Prometheus that just started has no rates yet); the first
        poll where every probe holds ends the baseline.
        """
        self._phase("baseline")
        failing: list[str] = []
        for attempt in range(self.config.baseline_polls):
            if attempt:
                self._clock.wait(self.plan.scenario.steady_state.interval, self._stop)
            if self._stop.is_set():
                return False
            readings = self._sample_all("baseline")
            failing = [
                f"{name}: {describe_reading(self._probes[name], r)}"
                for name, r in readings.items()
                if evaluate(self._probes[name], r.value) is not True
            ]
            if not failing:
                return True
        reason = "steady state does not hold before the experiment: " + "; ".join(failing)
        self._abort("baseline", reason)
        return False

    def _warmup(self) -> bool:
        return self._observe("warmup", self.plan.scenario.schedule.warmup, abort=True)

    def _run_wave(self, wave: Sequence[str]) -> bool:
        """Inject on every host of the wave, watch for the duration, revert. False: stop."""
        self._phase("inject")
        deadline = (
            self._clock.now() + self.plan.scenario.schedule.duration + self.config.revert_grace
        )
        self._heartbeats.start(self.config.heartbeat_interval)
        self._parallel(wave, lambda host: self._inject_host(host, deadline))
        held = not self._stop.is_set() and self._observe(
            "monitor",
            self.plan.scenario.schedule.duration,
            abort=True,
            deviate=True,
            started=lambda: self._ready_the_kill_switch(len(wave)),
        )
        self._revert_everything_open()
        return held

    def _ready_the_kill_switch(self, hosts: int) -> None:
        """Once a wave is in and its monitor phase journaled (not before: the hosts still
        launching would share the cores with it): the revert pool's threads start, so the kill
        switch starts none, and every watcher gets its first line, on which it starts its
        runner. A kill switch pulled before that works all the same, a little slower."""
        self._reverter.warm(hosts)
        self._heartbeats.beat_now()

    def _run_ladder(self) -> None:
        """Stage after stage while the hypothesis holds (see gameday.engine.ladder)."""
        hooks = LadderHooks(
            run_wave=self._run_wave,
            emit=self._emit,
            stopped=self._stop,
            state=self.state,
            subscribe=self.subscribe,
        )
        owner = owner_of(self.config.participants)
        self._ladder = LadderRun(self.plan, self.ladder_gate, owner, hooks).run()
        if self._ladder.broke:
            self._deviated = True

    def _inject_host(self, host: str, deadline: float) -> None:
        driver = self._drivers[host]
        for plan in self.plan.host_plans.get(host, ()):
            if self._stop.is_set():
                return
            outcome = driver.arm(plan, deadline)
            commands = command_events(host, plan.fault_id, outcome)
            if not outcome.ok:
                self._emit_batch(commands)
                self._fault_failed(plan, "arm", outcome.detail)
                return
            armed = [
                *commands,
                ev.FaultArmed(
                    host=host,
                    fault_id=plan.fault_id,
                    kind=plan.kind,
                    deadline=deadline,
                    revert=tuple(redact(c) for c in plan.revert),
                    verify_reverted=tuple(redact(c) for c in plan.verify_reverted),
                    timer=outcome.timer,
                ),
            ]
            if not outcome.injected:
                # the inject is still to be asked: the record is journaled before it is
                self._emit_batch(armed)
                armed = []
            if not self._inject_one(driver, plan, armed):
                return

    def _inject_one(
        self, driver: HostDriver, plan: FaultPlan, armed: Sequence[ev.Event] = ()
    ) -> bool:
        """Inject and verify (or read the outcome the arm's round trip already brought); the
        `armed` facts, when the host did both in one round trip, share the inject's fsync."""
        outcome = driver.inject(plan)
        commands = command_events(plan.host, plan.fault_id, outcome)
        if not outcome.ok:
            self._emit_batch([*armed, *commands])
            self._fault_failed(plan, "inject", outcome.detail)
            return False
        self._emit_batch(
            [
                *armed,
                *commands,
                ev.FaultInjected(
                    host=plan.host,
                    fault_id=plan.fault_id,
                    kind=plan.kind,
                    summary=plan.summary,
                    verified=plan.verified,
                ),
            ]
        )
        if self._killed.is_set():
            # The kill switch may have swept the hosts before this injection landed.
            self._reverter.revert([plan], "kill_switch")
            return False
        return True

    def _fault_failed(self, plan: FaultPlan, step: ev.Step, reason: str) -> None:
        self._emit(
            ev.FaultFailed(
                host=plan.host, fault_id=plan.fault_id, step=step, reason=reason, kind=plan.kind
            )
        )
        self._abort("fault failed", f"{plan.kind} on {plan.host}: {step} failed: {reason}")

    def _revert_everything_open(self) -> None:
        # A kill switch in flight finishes first (bounded); what it reverted is not reverted
        # twice, and the verdict never reads a revert still on its way.
        self._reverter.wait_idle(self._reverter.bound + 1.0)
        open_plans = self._open_plans()
        if open_plans:
            self._phase("revert")
            self._reverter.revert(open_plans, "console", still_open=self._is_open)
        self._reverter.wait_idle(self._reverter.bound + 1.0)

    def _rollback(self) -> None:
        """Steps in list order; a step's hosts at once, so an unreachable host delays the
        phase by one step's bound, never by one per host."""
        steps = self.plan.scenario.rollback
        if not steps:
            return
        self._phase("rollback")
        # A ladder that stopped early never touched its later stages' hosts: nor does rollback.
        reached = self._ladder.reached if self._ladder else self.plan.selection.targets
        for step in steps:
            hosts = [step.host] if step.host else list(reached)
            self._parallel(hosts, functools.partial(self._rollback_on, step))

    def _rollback_on(self, step: RollbackStep, host: str) -> None:
        driver = self._drivers.get(host)
        if host in self._heartbeats.lost:
            outcome = Outcome(False, "not run: the host is lost (no answer to its lease)")
        elif driver is None:
            outcome = Outcome(False, "not connected")
        else:
            outcome = driver.run(step.run, step.timeout)
        self._emit(
            ev.RollbackRan(
                name=step.name,
                host=host,
                ok=outcome.ok,
                required=step.required,
                detail=outcome.detail,
            )
        )
        if step.required and not outcome.ok:
            self._rollback_failed.append(f"{step.name!r} on {host} ({outcome.detail})")

    def _after(self) -> None:
        self._phase("after")
        readings = self._sample_all("after")
        if any(evaluate(self._probes[n], r.value) is not True for n, r in readings.items()):
            self._deviated = True

    # --- sampling ---------------------------------------------------------------------------
    def _observe(
        self,
        phase: ev.Phase,
        seconds: float,
        *,
        abort: bool = False,
        deviate: bool = False,
        started: Callable[[], None] | None = None,
    ) -> bool:
        """Sample every interval for `seconds`; False when stopped (abort rule or kill switch).
        `started` is called once the phase is journaled.

        The cooldown goes on after an abort rule (how the system recovers is a finding) but
        not after the kill switch, which means: stop now. Polls never overlap: the next tick
        is scheduled after this one finished, so a slow source stretches the interval instead
        of piling up requests.
        """
        stop = self._killed if phase == "cooldown" else self._stop
        if seconds <= 0 or stop.is_set():
            return not stop.is_set()
        self._phase(phase)
        if started is not None:
            started()
        interval = self.plan.scenario.steady_state.interval
        end = self._clock.now() + seconds
        while not stop.is_set():
            tick = self._clock.now()
            if tick >= end:
                break
            readings = self._sample_all(phase)
            if deviate and any(
                evaluate(self._probes[n], r.value) is False for n, r in readings.items()
            ):
                self._deviated = True
            if abort and self._check_abort_rules(readings):
                return False
            remaining = end - self._clock.now()
            if remaining <= 0:
                break
            self._clock.wait(min(max(interval - (self._clock.now() - tick), 0.0), remaining), stop)
        return not stop.is_set()

    def _sample_all(self, phase: ev.Phase) -> dict[str, Reading]:
        """Sample every probe at once, then journal the readings (one fsync per poll)."""
        readings, events = self._sampler.sample(phase)
        self._emit_batch(events)
        return readings

    def _check_abort_rules(self, readings: Mapping[str, Reading]) -> bool:
        fired = self._tracker.observe(
            {name: r.value for name, r in readings.items()},
            {name: r.detail for name, r in readings.items()},
        )
        if fired is None:
            return False
        unit = self._probes[fired.rule.probe].unit if fired.rule.probe in self._probes else ""
        self._abort(rule_text(fired.rule, unit), abort_reason(fired, unit))
        return True

    # --- reverting --------------------------------------------------------------------------
    def _abort(self, rule: str, reason: str) -> None:
        if self.state.aborted is None:
            self._emit(ev.AbortTriggered(rule=rule, reason=reason))
        self._stop.set()

    def _open_plans(self) -> list[FaultPlan]:
        with self._emit_lock:
            keys = [(f.host, f.fault_id) for f in self.state.open_faults()]
        return [self._plans[k] for k in keys if k in self._plans]

    def _is_open(self, key: tuple[str, str]) -> bool:
        with self._emit_lock:
            fault = self.state.faults.get(key)
            return fault is not None and fault.may_be_active

    def _reverted_batch(self, batch: Sequence[HostReverted], by: ev.RevertBy) -> None:
        """Journal one batch of hosts' revert outcomes (one fsync), fold them, tell the views."""
        events: list[ev.Event] = []
        for host in batch:
            for plan, outcome in host.faults:
                events.extend(command_events(plan.host, plan.fault_id, outcome))
                detail = outcome.detail
                if outcome.ok and not plan.revert_verified:
                    detail = (detail + "; " if detail else "") + NOTHING_TO_VERIFY
                events.append(
                    ev.FaultReverted(
                        host=plan.host,
                        fault_id=plan.fault_id,
                        kind=plan.kind,
                        verified=outcome.ok,
                        duration=outcome.duration,
                        detail=detail,
                        by=by,
                    )
                )
        self._emit_batch(events)

    # --- plumbing ---------------------------------------------------------------------------
    def _lease_lost(self, host: str) -> None:
        """The host reverted this session's faults by itself: the console lost control of it.

        That ends the experiment (an abort); the session's revert phase confirms each fault.
        """
        if not self._heartbeats.mark_lost(host):
            return
        loss = self._drivers[host].lease_loss()
        if loss is None:
            reason = f"{host} stopped answering the lease and reverted its faults by itself"
        else:
            self._emit(
                ev.HostLost(host=host, silent_for=loss.silent_for, reverted_by=loss.reverted_by)
            )
            reason = lost_sentence(host, loss.silent_for, loss.reverted_by)
        if any(f.host == host for f in self.state.open_faults()):
            self._abort("lease lost", reason)

    def _finish_without_faults(self) -> SessionResult:
        reason = "preflight failed: " + "; ".join(self.state.preflight_failures)
        self._phase("done")
        self._emit(ev.SessionEnded())
        return SessionResult(None, ExitCode.BAD_INPUT, reason)

    def _finish(self) -> SessionResult:
        verdict, reason = verdict_of(
            self.state,
            deviated=self._deviated,
            rollback_failed=self._rollback_failed,
            ladder=self._ladder,
        )
        self._phase("done")
        self._emit(ev.VerdictReached(verdict=verdict, reason=reason))
        self._emit(ev.SessionEnded())
        return SessionResult(verdict, EXIT_CODES[verdict], reason)

    def _phase(self, phase: ev.Phase) -> None:
        if self.state.phase != phase:
            self._emit(ev.PhaseChanged(phase=phase))

    def _emit(self, event: ev.Event) -> ev.Event:
        return self._emit_batch([event])[0]

    def _emit_batch(self, events: Sequence[ev.Event]) -> list[ev.Event]:
        """Journal the events (at most one fsync), fold them into `state`, then tell the
        listeners. The fsync waits outside the lock: hosts answering together write their
        events meanwhile and share the next fsync; `state` takes events in order, once on disk."""
        if not events:
            return []
        with self._emit_lock:
            stored = self._journal.write_batch(events)
            self._unapplied.extend(stored)
        self._journal.sync_through(stored[-1].seq)
        with self._emit_lock:
            durable = self._journal.synced
            while self._unapplied and self._unapplied[0].seq <= durable:
                self.state.apply(self._unapplied.popleft())
        for event in stored:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:  # a broken screen must never stop a revert
                    continue
        return stored

    def _parallel(self, items: Iterable[str], fn: Callable[[str], None]) -> None:
        names = list(items)
        if not names:
            return
        for future in [self._pool().submit(fn, name) for name in names]:
            future.result()

    def _gathered(self, items: Iterable[str], fn: Callable[[str], list[ev.Event]]) -> None:
        """`fn` on every host at once; the facts of every host done by then journaled together
        (one fsync when every answer is already in, as a preflight taken while connecting is),
        in the order of `items`."""
        order = {name: i for i, name in enumerate(items)}
        pending = {self._pool().submit(fn, name): name for name in order}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            finished = sorted(done, key=lambda future: order[pending[future]])
            facts: list[ev.Event] = []
            failed: BaseException | None = None
            for future in finished:
                del pending[future]
                if future.exception() is None:
                    facts += future.result()
                else:  # a bug in a driver: the other hosts' facts are journaled all the same
                    failed = failed or future.exception()
            self._emit_batch(facts)
            if failed is not None:
                raise failed

    def _pool(self) -> ThreadPoolExecutor:
        # one pool for every phase: its threads, started for the preflight, serve the inject
        if self._hosts_pool is None:
            self._hosts_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="host")
        return self._hosts_pool
