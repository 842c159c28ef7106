"""The blast-radius ladder, run: stage after stage, only while the hypothesis holds.

    for each stage k of n:  StageStarted → (per wave: inject → monitor → revert) → StageEnded
                            held and k < n → ask the gate → LadderDecided → go: stage k+1

Each stage is a full cycle on all of its hosts: its faults are injected, watched for the
scenario's `duration`, reverted and verified before the stage is judged. A stage *held* when
every probe stayed within its bounds and answered on every poll while the stage's faults were
on; anything else stops the ladder there (`broke`, or `aborted` by an abort rule, the kill
switch or a failed fault, or `unconfirmed` when a revert could not be verified). Hosts of the
stages never reached are never sent a fault.

`LadderGate` (in gameday.engine.ports) is the port through which the owner decides each step
up: the console asks a person (`gameday.ui.ladder_gate`), headless runs apply a policy
(`PolicyGate`: `auto` steps up while the hypothesis holds, `stop` stops after the first stage
that held). The session calls
`LadderRun.run` with a few hooks into itself, so this loop stays apart from the session's
other phases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from gameday.core.findings.text import number as number_text
from gameday.core.formats.probes import Probe
from gameday.core.ladder import badness, verdict_reason
from gameday.core.plan import Plan
from gameday.core.session import events as ev
from gameday.core.session.state import SessionState
from gameday.core.steady import describe_bounds
from gameday.engine.ports import Decision, LadderGate, StageReport

LadderPolicy = Literal["auto", "stop"]
NO_ANSWER = "no answer"
"""`Decision.how` when the wait for the owner ran out (a no-go)."""
DECISION_TIMEOUT = 15 * 60.0
"""How long the console waits for the owner's go/no-go; no answer is a no-go (nothing is
active while it waits: the stage's faults are already reverted)."""


@dataclass(frozen=True)
class PolicyGate:
    """Headless: `auto` steps up while the hypothesis holds; `stop` stops after the first
    stage that held."""

    policy: LadderPolicy = "auto"

    def decide(self, report: StageReport, cancel: threading.Event) -> Decision | None:
        if cancel.is_set():
            return None
        return Decision(self.policy == "auto", "", how=f"--ladder {self.policy}")


@dataclass(frozen=True)
class LadderHooks:
    """What the ladder needs from its session."""

    run_wave: Callable[[Sequence[str]], bool]
    """Inject on these hosts, monitor for the duration, revert and verify; False: stopped."""
    emit: Callable[[ev.Event], ev.Event]
    stopped: threading.Event
    """Set by an abort rule, a failed fault or the kill switch."""
    state: SessionState
    """The session's live fold (read from the session thread only)."""
    subscribe: Callable[[Callable[[ev.Event], None]], None]
    """Be told every event after it is journaled (samples come from the session thread)."""


@dataclass(frozen=True)
class LadderResult:
    of: int
    held_up_to: int
    """Stages 1..k held."""
    ended: Literal["top", "broke", "aborted", "unconfirmed", "no_go"]
    why: str = ""
    """Why the last stage run did not hold, or who said no-go."""
    reached: tuple[str, ...] = ()
    """Every host of the stages that ran: the only hosts that were sent a fault."""

    @property
    def broke(self) -> bool:
        return self.ended == "broke"

    def verdict_reason(self) -> str:
        """The verdict's reason for `deviated` (broke) and `held` (top or no-go)."""
        if self.broke:
            return verdict_reason(self.held_up_to, self.of, self.held_up_to + 1, self.why)
        head = f"held up to stage {self.held_up_to} of {self.of}"
        if self.ended == "no_go":
            return f"{head}; the ladder was stopped there ({self.why})"
        if self.held_up_to < self.of:
            return f"{head}; the ladder stopped before stage {self.held_up_to + 1}"
        return f"{head}: steady state held at every stage"


class LadderRun:
    def __init__(
        self, plan: Plan, gate: LadderGate, owner: tuple[str, str], hooks: LadderHooks
    ) -> None:
        self.plan = plan
        self.gate = gate
        self.owner = owner
        self.hooks = hooks
        self._probes = {p.name: p for p in plan.scenario.steady_state.probes}
        self._tally = StageTally(self._probes)
        """What the current stage's monitor polls showed, kept as they arrive."""
        hooks.subscribe(self._tally.add)

    def run(self) -> LadderResult:
        stages = self.plan.selection.stages
        of = len(stages)
        for number, hosts in enumerate(stages, start=1):
            status, why = self._run_stage(number, hosts)
            if status != "held":
                return LadderResult(of, number - 1, status, why, _reached(stages, number))
            if number == of:
                break
            decision = self._ask(number)
            if decision is None:  # the kill switch or an abort came while waiting
                return LadderResult(of, number, "aborted", "stopped", _reached(stages, number))
            if not decision.go:
                return LadderResult(of, number, "no_go", _no_go(decision), stages[number - 1])
        return LadderResult(of, of, "top", "", stages[-1] if stages else ())

    def _run_stage(self, number: int, hosts: tuple[str, ...]) -> tuple[ev.StageOutcome, str]:
        selection = self.plan.selection
        of = len(selection.stages)
        self.hooks.emit(
            ev.StageStarted(stage=number, of=of, hosts=hosts, joining=selection.joining(number))
        )
        self._tally.reset()
        for wave in selection.stage_waves(number):
            if not self.hooks.run_wave(wave) or self._why_broken():
                break
        status, why = self._judge()
        self.hooks.emit(ev.StageEnded(stage=number, of=of, outcome=status, reason=why))
        return status, why

    def _judge(self) -> tuple[ev.StageOutcome, str]:
        state = self.hooks.state
        if self.hooks.stopped.is_set():
            if state.kill_switch:
                return "aborted", f"kill switch ({state.kill_switch})"
            return "aborted", state.aborted or "stopped"
        unconfirmed = [f"{f.host}/{f.fault_id}" for f in state.open_faults()]
        if unconfirmed:
            return "unconfirmed", "revert not confirmed on " + ", ".join(unconfirmed)
        broken = self._why_broken()
        if broken:
            return "broke", broken
        return "held", "every probe stayed within its bounds on every poll"

    def _why_broken(self) -> str:
        """Why the steady state did not hold during the stage so far ("" when it held)."""
        problems = []
        for name, probe in self._probes.items():
            tally = self._tally.of(name)
            if tally.worst_out is not None:
                problems.append(
                    f"{name} out of bounds ({_value(tally.worst_out, probe)}; holds when "
                    f"{describe_bounds(probe)})"
                )
            gaps = tally.no_data
            if gaps:
                problems.append(f"{name} had no data on {gaps} poll{'s' if gaps != 1 else ''}")
        return "; ".join(problems)

    def _ask(self, number: int) -> Decision | None:
        """Ask the gate and journal the answer; None when the session is stopping."""
        selection = self.plan.selection
        report = StageReport(
            stage=number,
            of=len(selection.stages),
            hosts=selection.stages[number - 1],
            next_hosts=selection.stages[number],
            joining=selection.joining(number + 1),
            summary=self._summary(),
            owner=self.owner[0],
            owner_role=self.owner[1],
        )
        decision = self.gate.decide(report, self.hooks.stopped)
        if decision is None or self.hooks.stopped.is_set():
            return None
        actor = decision.by or ev.SYSTEM
        self.hooks.emit(
            ev.LadderDecided(
                actor=actor, stage=number, go=decision.go, role=decision.role, how=decision.how
            )
        )
        return decision

    def _summary(self) -> str:
        """Each probe's worst value in the stage that just held, for the go/no-go prompt."""
        lines = []
        for name, probe in self._probes.items():
            worst = self._tally.of(name).worst
            if worst is None:
                lines.append(f"{name}: no sample")
                continue
            lines.append(
                f"{name}: worst {_value(worst, probe)} (holds when {describe_bounds(probe)})"
            )
        return "\n".join(lines)


@dataclass
class ProbeTally:
    """One probe's monitor polls in one stage."""

    worst: float | None = None
    """The value farthest toward (or beyond) the bounds; the first such one on a tie."""
    worst_score: float = 0.0
    worst_out: float | None = None
    """The worst of the values that were out of bounds; None: none was."""
    worst_out_score: float = 0.0
    no_data: int = 0
    """Polls without a value."""


class StageTally:
    """Per probe, what the ladder judges a stage by, kept as each sample arrives: a stage of
    hours costs the same memory as a stage of seconds (the session state keeps only a recent
    window of samples, so the ladder cannot read a whole stage back from it)."""

    def __init__(self, probes: Mapping[str, Probe]) -> None:
        self._probes = probes
        self._tallies: dict[str, ProbeTally] = {}

    def reset(self) -> None:
        """A new stage starts: forget the previous one."""
        self._tallies = {}

    def of(self, name: str) -> ProbeTally:
        return self._tallies.get(name) or ProbeTally()

    def add(self, event: ev.Event) -> None:
        if not isinstance(event, ev.ProbeSampled) or event.phase != "monitor":
            return
        probe = self._probes.get(event.probe)
        if probe is None:
            return
        tally = self._tallies.setdefault(event.probe, ProbeTally())
        value = event.value
        if value is None:
            tally.no_data += 1
            return
        score = badness(value, probe.min, probe.max)
        if tally.worst is None or score > tally.worst_score:
            tally.worst, tally.worst_score = value, score
        if event.ok is False and (tally.worst_out is None or score > tally.worst_out_score):
            tally.worst_out, tally.worst_out_score = value, score


def _value(value: float, probe: Probe) -> str:
    return number_text(value, probe.unit)


def _no_go(decision: Decision) -> str:
    if decision.how == NO_ANSWER:
        return "no answer to the go/no-go in time"
    if decision.how == "console closed":
        return "no-go: the console closed"
    return f"no-go by {decision.by or decision.how}"


def _reached(stages: Sequence[tuple[str, ...]], number: int) -> tuple[str, ...]:
    return stages[number - 1] if number >= 1 else ()


def owner_of(participants: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """Who decides each step up: the participant with the role `owner`, else the one with the
    role `facilitator`; ("", "") when there is neither (the console then names the person at
    it, a policy names itself)."""
    for wanted in ("owner", "facilitator"):
        for name, role in participants:
            if role.strip().lower() == wanted:
                return name, role
    return "", ""
