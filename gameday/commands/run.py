"""`gameday run SCENARIO -i INVENTORY --headless`: one GameDay session for a CI pipeline.

Exit codes: 0 held, 1 deviated, 2 bad input (or preflight failed: nothing was touched),
3 aborted (abort rule or kill switch), 4 revert unconfirmed (a human must look at a host).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gameday.core.plan import Plan
from gameday.core.roles import ROLES, check_team, parse_participant
from gameday.core.session.paths import default_journal_dir
from gameday.errors import InputError
from gameday.exit_codes import ExitCode


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run",
        help="run a scenario: preflight, inject, watch, revert, verdict",
        description=(
            "Run one GameDay session. With --headless the timeline is printed as it happens "
            "and the exit status is the verdict: 0 held, 1 deviated, 2 bad input or failed "
            "preflight (nothing touched), 3 aborted, 4 revert unconfirmed. SIGINT, SIGTERM and "
            "SIGHUP pull the kill switch; so does `gameday abort` from another terminal."
        ),
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML)")
    parser.add_argument("-i", "--inventory", required=True, metavar="INVENTORY")
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no console: print the timeline (without it, the console opens on the folder)",
    )
    parser.add_argument("--yes", action="store_true", help="start without asking to confirm")
    parser.add_argument("--json", action="store_true", help="print events as JSON lines")
    parser.add_argument(
        "--junit",
        metavar="FILE",
        help="also write a JUnit XML report of the session (headless), for CI test reports",
    )
    parser.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="URL",
        help="also POST each notification as JSON to this webhook (repeatable; see the "
        "inventory's notify: for Slack, command hooks and event choices)",
    )
    parser.add_argument("--seed", type=int, help="seed of the blast-radius pick")
    parser.add_argument("--journal-dir", metavar="DIR", help="where the journal is written")
    parser.add_argument("--environment", default="", help="e.g. staging (shown in the findings)")
    parser.add_argument(
        "--participant",
        action="append",
        default=[],
        metavar="NAME[:ROLE]",
        help="who takes part (repeatable), e.g. alice:owner; roles: "
        + ", ".join(ROLES)
        + " (default observer)",
    )
    parser.add_argument(
        "--trust-new-hosts",
        action="store_true",
        help="record unknown host keys in the inventory's known_hosts instead of refusing",
    )
    parser.add_argument(
        "--ladder",
        choices=("auto", "stop"),
        default="auto",
        help=(
            "for a scenario with targets.stages: auto steps up while the steady state holds "
            "(default), stop ends after the first stage that held"
        ),
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=None,
        metavar="SECONDS",
        help="a host reverts by itself when the console is silent this long (default 3)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gameday.app.headless import (
        TimelinePrinter,
        confirm,
        run_in_thread,
        signals_pull_kill_switch,
    )
    from gameday.app.live import LiveOptions, live_session, load_plan, notify_targets
    from gameday.core.wording import recover_advice

    participants = tuple(parse_participant(p) for p in args.participant)
    check_team(participants)
    plan = load_plan(args.scenario, args.inventory, args.seed)
    notify = notify_targets(plan.inventory, args.notify)
    if not args.headless:
        if args.junit:
            raise InputError(
                "--junit", 0, "", "a JUnit report is written by headless runs: add --headless"
            )
        return _console(args, participants)
    if args.junit and not Path(args.junit).parent.is_dir():
        raise InputError(args.junit, 0, "--junit", "no such directory for the JUnit report")
    out = sys.stderr if args.json else sys.stdout
    print(describe_plan(plan), file=out)
    if not args.yes:
        if not sys.stdin.isatty():
            print("gameday: not starting: no terminal to confirm on; pass --yes", file=sys.stderr)
            return ExitCode.BAD_INPUT
        if not confirm("Start this experiment? [y/N] "):
            print("gameday: not started", file=sys.stderr)
            return ExitCode.OK
    options = LiveOptions(
        journal_dir=Path(args.journal_dir) if args.journal_dir else default_journal_dir(),
        seed=args.seed,
        trust_new_hosts=args.trust_new_hosts,
        environment=args.environment,
        participants=participants,
        notify=notify,
        ladder=args.ladder,
        **({"lease_seconds": args.lease} if args.lease else {}),
    )
    with live_session(plan, options) as session:
        session.subscribe(TimelinePrinter(sys.stdout, as_json=args.json))
        with signals_pull_kill_switch(session):
            result = run_in_thread(session)
        journal = options.journal_dir / f"{session.config.session_id}.jsonl"
    print(f"verdict: {result.verdict or 'not started'} — {result.reason}", file=out)
    print(f"journal: {journal}", file=out)
    if args.junit:
        write_junit(journal, Path(args.junit))
        print(f"junit: {args.junit}", file=out)
    if result.exit_code == ExitCode.REVERT_UNCONFIRMED:
        print(recover_advice(str(journal)), file=out)  # the last line: what to do next
    return int(result.exit_code)


def write_junit(journal: Path, output: Path) -> None:
    """The JUnit report of the finished session, from its journal (as the findings are)."""
    from gameday.app.exports import write_text
    from gameday.core.findings.build import findings_from_file
    from gameday.core.findings.junit import render_junit

    write_text(output, render_junit(findings_from_file(journal)))


def _console(args: argparse.Namespace, participants: tuple[tuple[str, str], ...]) -> int:
    """The console, on the scenario's folder (the scenario is in its list); `--participant`s
    are its team (else the remembered one)."""
    from gameday.app.live_backend import LiveBackend
    from gameday.core.roles import Team, default_team_file
    from gameday.ui.launch import run_console

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("gameday: no terminal for the console; add --headless", file=sys.stderr)
        return ExitCode.BAD_INPUT
    backend = LiveBackend(
        inventory=Path(args.inventory),
        scenario_dir=Path(args.scenario).resolve().parent,
        journal_dir=Path(args.journal_dir) if args.journal_dir else default_journal_dir(),
        trust_new_hosts=args.trust_new_hosts,
        seed=args.seed,
        environment=args.environment,
        notify_urls=tuple(args.notify),
        team_file=default_team_file(),
        team=Team(people=participants),
    )
    return run_console(backend)


def describe_plan(plan: Plan) -> str:
    """The plan as a facilitator reads it before saying yes."""
    s = plan.scenario
    lines = [f"{s.title} ({s.id})", f"hypothesis: {s.hypothesis}", ""]
    if plan.selection.stages:
        from gameday.core.ladder import ladder_lines

        lines += [f"ladder {line}" for line in ladder_lines(plan.selection, s.targets.stages)]
    else:
        for number, wave in enumerate(plan.selection.waves, start=1):
            lines.append(f"wave {number}: {', '.join(wave)}")
    for host, reason in plan.selection.spared.items():
        lines.append(f"spared {host}: {reason}")
    lines.append("")
    for host, faults in plan.host_plans.items():
        for fault in faults:
            lines.append(f"{host}: {fault.summary or fault.kind}")
    schedule = s.schedule
    each = "stage" if plan.selection.stages else "wave"
    lines.append(
        f"schedule: warmup {schedule.warmup:g}s, duration {schedule.duration:g}s "
        f"per {each}, cooldown {schedule.cooldown:g}s; seed {plan.selection.seed_used}"
    )
    return "\n".join(lines)
