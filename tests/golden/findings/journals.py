"""Hand-made journals for the findings goldens, written by the real JournalWriter on a fake clock.

Each builder writes one session to `path`; the same builder always writes the same bytes, so
the committed `<name>.jsonl` files can be checked against it. Regenerate journals and expected
outputs with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_findings.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from gameday.core.session import events as ev
from gameday.core.session.events import JSON
from gameday.core.session.journal import JournalWriter

T0 = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC).timestamp()

ERROR_RATE = "100 * sum(rate(http_errors_total[30s])) / sum(rate(http_requests_total[30s]))"
P99 = "histogram_quantile(0.99, sum by (le) (rate(http_latency_seconds_bucket[30s]))) * 1000"

SNAPSHOT: dict[str, JSON] = {
    "id": "checkout-node-partition",
    "probes": [
        {"name": "error_rate", "kind": "prometheus", "query": ERROR_RATE, "max": 1, "unit": "%"},
        {"name": "p99_latency", "kind": "prometheus", "query": P99, "max": 500, "unit": "ms"},
    ],
    "faults": [{"kind": "network_partition", "ports": [8080], "line": 12}],
    "abort_when": [{"probe": "error_rate", "above": 5, "for": 2}, {"no_data": 3}],
    "schedule": {"warmup": 30, "duration": 120, "cooldown": 30},
    "interval": 10,
}

# The same scenario as the engine snapshots it (every field of the models, None included).
NESTED_SNAPSHOT: dict[str, JSON] = {
    "id": "checkout-node-partition",
    "title": "Checkout survives losing one node",
    "steady_state": {
        "interval": 10.0,
        "probes": [
            {
                "name": "error_rate",
                "kind": "prometheus",
                "query": ERROR_RATE,
                "url": "",
                "host": None,
                "min": None,
                "max": 1.0,
                "unit": "%",
            },
            {
                "name": "homepage",
                "kind": "http",
                "query": "",
                "url": "http://shop.internal/health",
                "measure": "latency_p95",
                "min": None,
                "max": 300.0,
                "unit": "ms",
            },
        ],
    },
    "faults": [
        {
            "kind": "network_partition",
            "name": None,
            "direction": "both",
            "ports": [8080],
            "peers": [],
        }
    ],
    "abort_when": [
        {"probe": "error_rate", "above": 5.0, "below": None, "for_samples": 2, "no_data": None},
        {"probe": None, "above": None, "below": None, "for_samples": 1, "no_data": 3},
    ],
    "schedule": {"duration": 120.0, "warmup": 30.0, "cooldown": 30.0},
    "rollback": [
        {
            "name": "restart checkout",
            "run": "systemctl restart checkout",
            "host": None,
            "required": False,
            "timeout": 60.0,
        }
    ],
}


class Session:
    """A JournalWriter whose clock is set before each event: `s.at(seconds, event)`.

    Time only moves forward, as in a real journal; `s.later(seconds, event)` queues an event
    (a note typed while the probes were polling) that is written once the clock reaches it.
    """

    def __init__(self, path: Path) -> None:
        self.now = T0
        self.queued: list[tuple[float, ev.Event]] = []
        self.writer = JournalWriter(path, clock=lambda: self.now)

    def later(self, seconds: float, event: ev.Event) -> None:
        self.queued.append((seconds, event))
        self.queued.sort(key=lambda item: item[0])

    def at(self, seconds: float, *events: ev.Event) -> None:
        while self.queued and self.queued[0][0] <= seconds:
            when, queued = self.queued.pop(0)
            self._write(when, queued)
        for event in events:
            self._write(seconds, event)

    def _write(self, seconds: float, event: ev.Event) -> None:
        if T0 + seconds < self.now:
            raise ValueError(f"time goes backwards at T+{seconds}")
        self.now = T0 + seconds
        self.writer.append(event)

    def close(self) -> None:
        self.at(max([t for t, _ in self.queued], default=self.now - T0))
        self.writer.close()


def _start(s: Session, snapshot: dict[str, JSON] = SNAPSHOT, **extra: str) -> None:
    s.at(
        0,
        ev.SessionStarted(
            session_id=extra.get("session_id", "20261127T090000-checkout"),
            scenario_id="checkout-node-partition",
            scenario_title="Checkout survives losing one node",
            scenario_file="scenarios/checkout-node-partition.yaml",
            scenario_sha256="3f" * 32,
            hypothesis="With one checkout node cut off, error rate stays under 1% and p99 "
            "under 500 ms.",
            inventory_file="inventories/staging.yaml",
            environment=extra.get("environment", "staging"),
            mode="tui",
            gameday_version="0.1.0",
            scenario=snapshot,
        ),
        ev.ParticipantJoined(actor="alice", name="alice", role="coordinator"),
        ev.ParticipantJoined(actor="bob", name="bob", role="owner"),
    )
    s.at(
        1,
        ev.PhaseChanged(phase="preflight"),
        ev.PreflightChecked(host="checkout-2", check="ssh login", ok=True),
        ev.PreflightChecked(host="checkout-2", check="sudo", ok=True),
        ev.PreflightChecked(host="checkout-3", check="ssh login", ok=True),
        ev.PreflightChecked(host="prometheus", check="reachable", ok=True),
    )
    s.at(
        2,
        ev.PlanMade(
            targets=("checkout-2", "checkout-3"),
            spared={"checkout-1": "excluded by the scenario", "db-1": "protected: tier=data"},
            waves=(("checkout-2",), ("checkout-3",)),
            seed=7,
            faults={"checkout-2": ("f1",), "checkout-3": ("f2",)},
        ),
    )


def _sample(s: Session, t: float, phase: ev.Phase, error: float | None, p99: float) -> None:
    s.at(
        t,
        ev.ProbeSampled(
            probe="error_rate",
            value=error,
            ok=None if error is None else error <= 1,
            phase=phase,
            detail="" if error is not None else "empty result",
        ),
        ev.ProbeSampled(probe="p99_latency", value=p99, ok=p99 <= 500, phase=phase),
    )


def _baseline_and_inject(s: Session) -> None:
    s.at(3, ev.PhaseChanged(phase="baseline"))
    for i, (e, p) in enumerate(((0.2, 210.0), (0.3, 220.0), (0.2, 205.0))):
        _sample(s, 5 + i * 10, "baseline", e, p)
    s.at(35, ev.PhaseChanged(phase="warmup"))
    _sample(s, 45, "warmup", 0.25, 215.0)
    s.at(65, ev.PhaseChanged(phase="inject"))
    for t, host, fid in ((66, "checkout-2", "f1"), (68, "checkout-3", "f2")):
        s.at(
            t,
            ev.CommandRan(
                host=host,
                fault_id=fid,
                step="inject",
                command="iptables -I INPUT -p tcp --dport 8080 -j DROP",
                status=0,
                duration=0.004,
            ),
            ev.FaultArmed(
                host=host,
                fault_id=fid,
                kind="network_partition",
                deadline=T0 + t + 180,
                revert=("iptables -D INPUT -p tcp --dport 8080 -j DROP",),
                verify_reverted=("! iptables -C INPUT -p tcp --dport 8080 -j DROP",),
                timer="gameday-revert-" + fid,
            ),
            ev.FaultInjected(
                host=host,
                fault_id=fid,
                kind="network_partition",
                summary="port 8080 dropped",
            ),
        )
    s.at(69, ev.PhaseChanged(phase="monitor"))


def _revert(s: Session, t: float, by: ev.RevertBy = "console") -> None:
    s.at(t, ev.PhaseChanged(phase="revert"))
    s.at(
        t + 1,
        ev.FaultReverted(host="checkout-2", fault_id="f1", verified=True, duration=0.8, by=by),
    )
    s.at(
        t + 2,
        ev.FaultReverted(host="checkout-3", fault_id="f2", verified=True, duration=1.1, by=by),
    )


def _after(s: Session, t: float, values: list[tuple[float, float]]) -> None:
    s.at(t, ev.PhaseChanged(phase="cooldown"))
    for i, (e, p) in enumerate(values):
        _sample(s, t + 5 + i * 10, "cooldown" if i < 2 else "after", e, p)


def held(path: Path) -> None:
    s = Session(path)
    _start(s)
    _baseline_and_inject(s)
    s.later(
        130,
        ev.NoteAdded(
            actor="bob", text="Traffic moved to checkout-1 within seconds.", tag="went_well"
        ),
    )
    for i in range(12):
        _sample(s, 75 + i * 10, "monitor", 0.3 + (i % 3) * 0.1, 240.0 + i * 5)
    _revert(s, 190)
    _after(s, 195, [(0.2, 215.0), (0.2, 210.0), (0.2, 208.0)])
    s.at(
        230,
        ev.NoteAdded(
            actor="alice",
            text="Document the failover in the runbook",
            tag="action",
            owner="bob",
            due="2026-12-04",
        ),
        ev.PhaseChanged(phase="done"),
        ev.VerdictReached(verdict="held", reason="every probe stayed within its threshold"),
        ev.SessionEnded(),
    )
    s.close()


def deviated(path: Path) -> None:
    s = Session(path)
    _start(s)
    _baseline_and_inject(s)
    s.later(
        92, ev.NoteAdded(actor="bob", text="Support channel reports failed checkouts", tag="impact")
    )
    s.later(
        100,
        ev.NoteAdded(
            actor="alice", text="Retries on the client hid half of the errors", tag="went_wrong"
        ),
    )
    s.later(
        150, ev.NoteAdded(actor="bob", text="It happened at 9am, not at peak traffic", tag="lucky")
    )
    values = [0.3, 0.6, 1.8, 3.2, 2.9, 2.2, 1.6, 1.2, 0.9, 0.8, 0.7, 0.6]
    for i, value in enumerate(values):
        t = 75 + i * 10
        _sample(s, t, "monitor", value, 260.0 + value * 40)
        if i == 2:
            s.at(
                t, ev.ThresholdCrossed(probe="error_rate", value=value, bound=1, direction="above")
            )
        if i == 8:
            s.at(
                t,
                ev.ThresholdCrossed(
                    probe="error_rate", value=value, bound=1, direction="above", recovered=True
                ),
            )
    _revert(s, 190)
    _after(s, 195, [(1.4, 300.0), (0.5, 230.0), (0.3, 220.0)])
    s.at(
        230,
        ev.NoteAdded(
            actor="alice", text="Alert on client retries, not only on errors", tag="action"
        ),
        ev.NoteAdded(
            actor="carol",
            text="Retry budget for checkout",
            tag="action",
            owner="carol",
            due="2026-12-11",
        ),
        ev.PhaseChanged(phase="done"),
        ev.VerdictReached(verdict="deviated", reason="error_rate above 1 for 60 s"),
        ev.SessionEnded(),
    )
    s.close()


def aborted(path: Path) -> None:
    s = Session(path)
    _start(s, NESTED_SNAPSHOT, environment="")
    s.at(3, ev.PhaseChanged(phase="baseline"))
    s.at(5, ev.ProbeSampled(probe="error_rate", value=0.2, ok=True, phase="baseline"))
    s.at(5, ev.ProbeSampled(probe="homepage", value=120.0, ok=True, phase="baseline"))
    s.at(65, ev.PhaseChanged(phase="inject"))
    s.at(
        66,
        ev.FaultArmed(
            host="checkout-2", fault_id="f1", kind="network_partition", deadline=T0 + 246
        ),
        ev.FaultInjected(host="checkout-2", fault_id="f1", kind="network_partition"),
    )
    s.at(
        67,
        ev.FaultFailed(
            host="checkout-3",
            fault_id="f2",
            step="capability",
            reason="iptables: command not found",
        ),
        ev.PhaseChanged(phase="monitor"),
    )
    for i, value in enumerate((2.0, 6.5, 8.1)):
        t = 75 + i * 10
        s.at(t, ev.ProbeSampled(probe="error_rate", value=value, ok=value <= 1, phase="monitor"))
        s.at(t, ev.ProbeSampled(probe="homepage", value=180.0 + i * 90, ok=True, phase="monitor"))
        if i == 0:
            s.at(
                t, ev.ThresholdCrossed(probe="error_rate", value=value, bound=1, direction="above")
            )
    s.at(
        95,
        ev.AbortTriggered(rule="error_rate above 5 for 2", reason="6.5 then 8.1"),
        ev.PhaseChanged(phase="revert"),
    )
    s.at(96, ev.FaultReverted(host="checkout-2", fault_id="f1", verified=True, duration=0.6))
    s.at(
        97,
        ev.PhaseChanged(phase="rollback"),
        ev.RollbackRan(name="restart checkout", host="checkout-2", ok=True, required=False),
    )
    s.at(100, ev.PhaseChanged(phase="cooldown"))
    for i, value in enumerate((3.0, 0.4)):
        t = 105 + i * 10
        s.at(t, ev.ProbeSampled(probe="error_rate", value=value, ok=value <= 1, phase="after"))
        s.at(t, ev.ProbeSampled(probe="homepage", value=130.0, ok=True, phase="after"))
        if i == 1:
            s.at(
                t,
                ev.ThresholdCrossed(
                    probe="error_rate", value=value, bound=1, direction="above", recovered=True
                ),
            )
    s.at(
        120,
        ev.VerdictReached(verdict="aborted", reason="abort rule: error_rate above 5 for 2 samples"),
        ev.SessionEnded(),
    )
    s.close()


def kill_switch(path: Path) -> None:
    s = Session(path)
    _start(s)
    _baseline_and_inject(s)
    for i in range(3):
        _sample(s, 75 + i * 10, "monitor", 0.4, 300.0 + i * 60)
    s.at(
        100,
        ev.KillSwitchPulled(actor="alice", source="keypress", reason="payments team paged us"),
        ev.PhaseChanged(phase="revert"),
    )
    s.at(
        100.021,
        ev.FaultReverted(
            host="checkout-2", fault_id="f1", verified=True, duration=0.019, by="kill_switch"
        ),
    )
    s.at(
        102.5,
        ev.CommandRan(
            host="checkout-3",
            fault_id="f2",
            step="revert",
            command="iptables -D INPUT -p tcp --dport 8080 -j DROP",
            status=None,
            duration=2.5,
            detail="connection reset by peer",
        ),
        ev.FaultReverted(
            host="checkout-3",
            fault_id="f2",
            verified=False,
            duration=2.5,
            by="kill_switch",
            detail="host unreachable: connection reset by peer",
        ),
        ev.KillSwitchDone(
            latency=2.5,
            hosts={
                "checkout-2": ev.RevertOutcome.CLEAN,
                "checkout-3": ev.RevertOutcome.UNCONFIRMED,
            },
        ),
    )
    _after(s, 105, [(0.3, 220.0), (0.2, 215.0)])
    s.at(
        130,
        ev.NoteAdded(
            actor="alice",
            text="The kill switch answered in well under a second on the reachable host",
            tag="went_well",
        ),
        ev.VerdictReached(verdict="revert_unconfirmed", reason="checkout-3: unconfirmed"),
        ev.SessionEnded(),
    )
    s.close()


def crashed(path: Path) -> None:
    s = Session(path)
    _start(s)
    _baseline_and_inject(s)
    for i in range(3):
        _sample(s, 75 + i * 10, "monitor", 0.5, 280.0)
    s.close()
    # The console died while writing the next line: a torn tail without its newline.
    with path.open("a", encoding="utf-8") as torn:
        torn.write('{"type":"probe_sampled","seq":58,"ts":' + str(T0 + 105) + ',"probe":"error_ra')


def recovered(path: Path) -> None:
    """The crashed session, then `gameday recover` a quarter of an hour later."""
    crashed(path)
    clock = iter([T0 + 900.0, T0 + 901.5])
    writer = JournalWriter.resume(path, clock=lambda: next(clock))
    writer.append(
        ev.FaultReverted(
            host="checkout-2", fault_id="f1", verified=True, duration=0.4, by="recover"
        )
    )
    writer.append(
        ev.FaultReverted(
            host="checkout-3", fault_id="f2", verified=True, duration=0.5, by="recover"
        )
    )
    writer.close()


def hostile_notes(path: Path) -> None:
    """Notes and commands full of Markdown, HTML and secrets; and not a single sample."""
    s = Session(path)
    _start(s, {"faults": [{"kind": "cpu_stress", "load": 80}]}, session_id="s-<b>|x`y")
    s.at(
        10,
        ev.NoteAdded(
            actor="mallory|x",
            text="a | b | c in `code` <script>alert(1)</script>",
            tag="went_wrong",
        ),
        ev.NoteAdded(
            actor="alice",
            text="# not a heading\n- not a list\n> not a quote\nline two & more",
            tag="went_well",
        ),
        ev.NoteAdded(
            actor="alice",
            text="[click](javascript:alert(1)) and ```fence``` and *stars*",
            tag="lucky",
        ),
        ev.NoteAdded(
            actor="bob",
            text="rotate it: password=hunter2 and Authorization: Bearer abcdefgh12345",
            tag="note",
        ),
        ev.NoteAdded(
            actor="bob",
            text="fix |pipes|\nin tables",
            tag="action",
            owner="<bob>",
            due="2026-12-01|x",
        ),
        ev.PhaseChanged(phase="inject"),
        ev.FaultArmed(
            host="web|1",
            fault_id="f`1",
            kind="cpu_stress",
            deadline=T0 + 300,
            revert=("pkill -f 'stress-ng' | true --token=s3cr3t",),
        ),
        ev.CommandRan(
            host="web|1",
            fault_id="f`1",
            step="inject",
            command="curl -H 'Authorization: Bearer abc' http://u:pw@x/ | sh `id`",
            status=1,
            duration=0.2,
            detail="<stderr> | failed",
        ),
        ev.FaultFailed(host="web|1", fault_id="f`1", step="inject", reason="exit 1 | <stderr>"),
    )
    s.close()


# --- the blast-radius ladder -----------------------------------------------------------------

LADDER = (("checkout-2",), ("checkout-2", "checkout-3"), ("checkout-1", "checkout-2", "checkout-3"))
LADDER_FAULTS = {"checkout-1": "f0-a1", "checkout-2": "f0-b2", "checkout-3": "f0-c3"}
LADDER_SNAPSHOT: dict[str, JSON] = {
    **SNAPSHOT,
    "id": "checkout-ladder",
    "targets": {"stages": ["1", "2", "100%"], "seed": 7},
    "schedule": {"warmup": 10, "duration": 60, "cooldown": 20},
}


def _ladder_start(s: Session) -> None:
    s.at(
        0,
        ev.SessionStarted(
            session_id="20261127T090000-checkout-ladder",
            scenario_id="checkout-ladder",
            scenario_title="Checkout survives losing nodes, one stage at a time",
            scenario_file="scenarios/checkout-ladder.yaml",
            scenario_sha256="5e" * 32,
            hypothesis="With checkout nodes cut off, error rate stays under 1% and p99 under "
            "500 ms.",
            inventory_file="inventories/staging.yaml",
            environment="staging",
            mode="console",
            gameday_version="0.1.0",
            scenario=LADDER_SNAPSHOT,
        ),
        ev.ParticipantJoined(actor="alice", name="alice", role="owner"),
        ev.ParticipantJoined(actor="bob", name="bob", role="facilitator"),
    )
    s.at(
        1,
        ev.PlanMade(
            targets=LADDER[-1],
            spared={"db-1": "protected by the inventory"},
            waves=(),
            seed=7,
            faults={h: (f,) for h, f in LADDER_FAULTS.items()},
        ),
        ev.LadderPlanned(stages=LADDER, sizes=("1", "2", "100%")),
        ev.PhaseChanged(phase="preflight"),
        *(ev.PreflightChecked(host=h, check="ssh login", ok=True) for h in LADDER[-1]),
    )
    s.at(2, ev.PhaseChanged(phase="baseline"))
    _sample(s, 3, "baseline", 0.2, 210.0)
    s.at(4, ev.PhaseChanged(phase="warmup"))
    _sample(s, 10, "warmup", 0.25, 215.0)


def _ladder_stage(
    s: Session, t: float, stage: int, errors: list[float], outcome: ev.StageOutcome, reason: str
) -> float:
    """Stage `stage` from `t`: inject, one sample per value (every 10 s), revert; the end time."""
    hosts = LADDER[stage - 1]
    joining = tuple(h for h in hosts if stage == 1 or h not in LADDER[stage - 2])
    s.at(
        t,
        ev.StageStarted(stage=stage, of=3, hosts=hosts, joining=joining),
        ev.PhaseChanged(phase="inject"),
    )
    for host in hosts:
        fid = LADDER_FAULTS[host]
        s.at(
            t + 1,
            ev.FaultArmed(
                host=host,
                fault_id=fid,
                kind="network_partition",
                deadline=T0 + t + 120,
                revert=("iptables -D INPUT -p tcp --dport 8080 -j DROP",),
                timer="setsid",
            ),
            ev.FaultInjected(
                host=host, fault_id=fid, kind="network_partition", summary="port 8080 dropped"
            ),
        )
    s.at(t + 2, ev.PhaseChanged(phase="monitor"))
    crossed = False
    for i, value in enumerate(errors):
        at = t + 10 + i * 10
        _sample(s, at, "monitor", value, 240.0 + 30 * stage)
        if value > 1 and not crossed:
            crossed = True
            s.at(
                at, ev.ThresholdCrossed(probe="error_rate", value=value, bound=1, direction="above")
            )
    end = t + 10 + len(errors) * 10
    if outcome == "aborted" and "rule" in reason:
        s.at(end - 9, ev.AbortTriggered(rule="error_rate above 5 for 2", reason="6.1 then 7.4"))
    s.at(end - 8, ev.PhaseChanged(phase="revert"))
    for host in hosts:
        s.at(
            end - 7,
            ev.FaultReverted(host=host, fault_id=LADDER_FAULTS[host], verified=True, duration=0.4),
        )
    if crossed:
        s.at(
            end - 5,
            ev.ThresholdCrossed(
                probe="error_rate", value=0.4, bound=1, direction="above", recovered=True
            ),
        )
    s.at(end - 5, ev.StageEnded(stage=stage, of=3, outcome=outcome, reason=reason))
    return end


HELD_REASON = "every probe stayed within its bounds on every poll"


def _ladder_end(s: Session, t: float, verdict: ev.Verdict, reason: str) -> None:
    s.at(t, ev.PhaseChanged(phase="cooldown"))
    _sample(s, t + 5, "cooldown", 0.3, 220.0)
    s.at(t + 10, ev.PhaseChanged(phase="after"))
    _sample(s, t + 10, "after", 0.2, 212.0)
    s.at(
        t + 11,
        ev.PhaseChanged(phase="done"),
        ev.VerdictReached(verdict=verdict, reason=reason),
        ev.SessionEnded(),
    )
    s.close()


def _auto(s: Session, t: float, stage: int) -> None:
    s.at(t, ev.LadderDecided(stage=stage, go=True, how="--ladder auto"))


def ladder_held(path: Path) -> None:
    s = Session(path)
    _ladder_start(s)
    t = _ladder_stage(s, 20, 1, [0.3, 0.4, 0.3], "held", HELD_REASON)
    _auto(s, t, 1)
    t = _ladder_stage(s, t + 1, 2, [0.5, 0.7, 0.6], "held", HELD_REASON)
    _auto(s, t, 2)
    t = _ladder_stage(s, t + 1, 3, [0.8, 0.9, 0.7], "held", HELD_REASON)
    _ladder_end(s, t + 1, "held", "held up to stage 3 of 3: steady state held at every stage")


def ladder_deviated(path: Path) -> None:
    s = Session(path)
    _ladder_start(s)
    t = _ladder_stage(s, 20, 1, [0.3, 0.4, 0.3], "held", HELD_REASON)
    s.at(t + 30, ev.LadderDecided(actor="alice", stage=1, go=True, role="owner", how="console"))
    why = "error_rate out of bounds (1.8%; holds when ≤ 1 %)"
    t = _ladder_stage(s, t + 31, 2, [0.6, 1.8, 1.2], "broke", why)
    _ladder_end(s, t + 1, "deviated", f"held up to stage 1 of 3; broke at stage 2: {why}")


def ladder_aborted(path: Path) -> None:
    s = Session(path)
    _ladder_start(s)
    t = _ladder_stage(s, 20, 1, [0.3, 0.4, 0.3], "held", HELD_REASON)
    _auto(s, t, 1)
    rule = "error_rate above 5 for 2: 6.1 then 7.4"
    t = _ladder_stage(s, t + 1, 2, [6.1, 7.4], "aborted", rule)
    _ladder_end(s, t + 1, "aborted", rule)


def ladder_kill_switch(path: Path) -> None:
    s = Session(path)
    _ladder_start(s)
    t = _ladder_stage(s, 20, 1, [0.3, 0.4, 0.3], "held", HELD_REASON)
    s.at(
        t + 12,
        ev.KillSwitchPulled(actor="bob", source="keypress", reason="payments incident elsewhere"),
        ev.KillSwitchDone(latency=0.002, hosts={}),
    )
    s.at(
        t + 13,
        ev.PhaseChanged(phase="done"),
        ev.VerdictReached(verdict="aborted", reason="kill switch (keypress)"),
        ev.SessionEnded(),
    )
    s.close()


def ladder_no_go(path: Path) -> None:
    s = Session(path)
    _ladder_start(s)
    t = _ladder_stage(s, 20, 1, [0.3, 0.4, 0.3], "held", HELD_REASON)
    s.at(t + 20, ev.LadderDecided(actor="alice", stage=1, go=True, role="owner", how="console"))
    t = _ladder_stage(s, t + 21, 2, [0.6, 0.9, 0.8], "held", HELD_REASON)
    s.at(
        t + 40,
        ev.NoteAdded(actor="alice", text="0.9% is too close to the line for stage 3", tag="note"),
        ev.LadderDecided(actor="alice", stage=2, go=False, role="owner", how="console"),
    )
    _ladder_end(
        s, t + 41, "held", "held up to stage 2 of 3; the ladder was stopped there (no-go by alice)"
    )


BUILDERS: dict[str, Callable[[Path], None]] = {
    "held": held,
    "deviated": deviated,
    "aborted": aborted,
    "kill_switch": kill_switch,
    "crashed": crashed,
    "recovered": recovered,
    "hostile_notes": hostile_notes,
    "ladder_held": ladder_held,
    "ladder_deviated": ladder_deviated,
    "ladder_aborted": ladder_aborted,
    "ladder_kill_switch": ladder_kill_switch,
    "ladder_no_go": ladder_no_go,
}
