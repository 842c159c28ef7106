"""The packaged ladder on the demo backend, without the console: the real engine, journal and
findings over the simulated fleet, whose web tier absorbs one node cut off but not two."""

from __future__ import annotations

from pathlib import Path

from gameday.app.demo import DemoBackend, DemoOptions, demo_dir
from gameday.core.findings.build import findings_from_file
from gameday.core.session import events as ev
from gameday.core.session.journal import read_journal
from gameday.demo.clock import SteppingClock
from gameday.engine.ladder import PolicyGate
from gameday.engine.session import SessionResult
from gameday.exit_codes import ExitCode

LADDER = demo_dir() / "scenarios" / "web-partition-ladder.yaml"


def run(tmp_path: Path, gate: PolicyGate) -> tuple[SessionResult, Path]:
    demo = DemoBackend(
        DemoOptions(seed=7, clock=SteppingClock(), host_delay=0.0, journal_dir=tmp_path)
    )
    opened = demo.open(demo.plan(str(LADDER)))
    opened.session.ladder_gate = gate
    try:
        result = opened.session.run()
    finally:
        opened.close()
    assert demo.fleets[-1].active() == {}
    return result, opened.journal_path


def test_the_ladder_breaks_at_stage_2_and_stage_3_is_only_ever_preflighted(
    tmp_path: Path,
) -> None:
    result, path = run(tmp_path, PolicyGate("auto"))
    assert result.verdict == "deviated" and result.exit_code == ExitCode.DEVIATED
    assert result.reason.startswith("held up to stage 1 of 3; broke at stage 2: error_rate")
    events = read_journal(path).events
    planned = next(e for e in events if isinstance(e, ev.LadderPlanned))
    (last,) = set(planned.stages[2]) - set(planned.stages[1])
    assert {e.step for e in events if isinstance(e, ev.CommandRan) and e.host == last} == {
        "capability"
    }
    assert {e.host for e in events if isinstance(e, ev.FaultArmed)} == set(planned.stages[1])
    findings = findings_from_file(path)
    assert findings.summary[0] == (
        "The hypothesis held up to stage 1 of 3 (1 host); it broke at stage 2 (2 hosts)."
    )


def test_ladder_stop_runs_the_first_stage_only_and_holds(tmp_path: Path) -> None:
    result, path = run(tmp_path, PolicyGate("stop"))
    assert result.verdict == "held" and result.exit_code == ExitCode.OK
    events = read_journal(path).events
    assert [(e.stage, e.outcome) for e in events if isinstance(e, ev.StageEnded)] == [(1, "held")]
    decided = [e for e in events if isinstance(e, ev.LadderDecided)]
    assert [(d.go, d.how, d.actor) for d in decided] == [(False, "--ladder stop", "system")]
    assert findings_from_file(path).summary[0] == (
        "The hypothesis held up to stage 1 of 3 (1 host); the ladder was stopped there "
        "(no-go by --ladder stop)."
    )
