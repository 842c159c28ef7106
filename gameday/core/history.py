"""Past and running sessions, from their journals alone: what `gameday sessions` lists.

Each journal in a directory is read and folded with the same reducer as the live session; the
summary is a projection of that fold. Whether a session without an end is still running is a
question about a process, not about the journal: the caller answers it with `is_running`
(given the journal's path), so this module stays free of process and OS lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from gameday.core.findings.text import utc_iso
from gameday.core.ladder import ladder_headline
from gameday.core.session.events import JSON
from gameday.core.session.journal import iter_journals, read_journal
from gameday.core.session.state import SessionState, replay
from gameday.errors import GamedayError
from gameday.exit_codes import ExitCode

_EXIT_STATUS: dict[str, ExitCode] = {
    "held": ExitCode.OK,
    "deviated": ExitCode.DEVIATED,
    "aborted": ExitCode.ABORTED,
    "revert_unconfirmed": ExitCode.REVERT_UNCONFIRMED,
}


@dataclass(frozen=True)
class SessionSummary:
    """One line of the sessions list."""

    session_id: str
    journal: Path
    scenario_id: str
    scenario_title: str
    started: float | None
    """UTC epoch seconds of `session_started`; None for an empty or unreadable journal."""
    duration: float | None
    """Seconds from start to `session_ended`; for a running session, to its last event."""
    verdict: str | None
    """held, deviated, aborted, revert_unconfirmed; None without `verdict_reached`."""
    exit_status: int | None
    """What `gameday run --headless` exited with; None while running or after a crash."""
    targets: tuple[str, ...]
    findings_file: str
    """The findings document last exported from this journal; empty when never exported."""
    running: bool
    """No `session_ended` yet and the process that writes the journal is alive."""
    status: str
    """running | finished | stopped in preflight | interrupted | unreadable."""
    problem: str = ""
    """Why the journal could not be read (status `unreadable`)."""
    mode: str = ""
    participants: tuple[tuple[str, str], ...] = ()
    """(name, role) in the order they joined."""
    ladder: str = ""
    """For a blast-radius ladder, how far the hypothesis held (`core.ladder.ladder_sentence`)."""


def summarize(journal: Path, state: SessionState, *, running: bool) -> SessionSummary:
    """The summary of one folded journal; `running` is the caller's answer about its process."""
    ended = state.ended_at is not None
    running = running and not ended
    if running:
        status = "running"
    elif ended and state.verdict is None:
        status = "stopped in preflight"
    elif ended:
        status = "finished"
    else:
        status = "interrupted"
    exit_status: int | None = None
    if state.verdict is not None and ended:
        exit_status = int(_EXIT_STATUS[state.verdict])
    elif status == "stopped in preflight":
        exit_status = int(ExitCode.BAD_INPUT)
    return SessionSummary(
        session_id=state.session_id or journal.stem,
        journal=journal,
        scenario_id=state.scenario_id,
        scenario_title=state.title,
        started=state.started_at,
        duration=_duration(state, ended),
        verdict=state.verdict,
        exit_status=exit_status,
        targets=state.targets,
        findings_file=state.findings_file,
        running=running,
        status=status,
        mode=state.mode,
        participants=tuple(state.participants.items()),
    )


def read_summary(journal: Path, is_running: Callable[[Path], bool]) -> SessionSummary:
    """Read, fold and summarize one journal; an unreadable one is a summary saying why."""
    try:
        read = read_journal(journal)
    except GamedayError as exc:
        return SessionSummary(
            session_id=journal.stem,
            journal=journal,
            scenario_id="",
            scenario_title="",
            started=None,
            duration=None,
            verdict=None,
            exit_status=None,
            targets=(),
            findings_file="",
            running=False,
            status="unreadable",
            problem=exc.message,
        )
    state = replay(read.events)
    running = state.ended_at is None and is_running(journal)
    summary = summarize(journal, state, running=running)
    ladder = ladder_headline(read.events)
    return replace(summary, ladder=ladder) if ladder else summary


def list_sessions(
    journal_dir: Path, is_running: Callable[[Path], bool] = lambda _journal: False
) -> list[SessionSummary]:
    """Every session journaled in `journal_dir`, newest start first (never raises for a bad
    journal: it is listed as unreadable). A missing directory is an empty list.

    `is_running(journal)` is asked only for journals without `session_ended`.
    """
    summaries = [read_summary(path, is_running) for path in iter_journals(journal_dir)]
    return sorted(summaries, key=_newest_first)


def _newest_first(summary: SessionSummary) -> tuple[float, str]:
    return (-(summary.started or 0.0), summary.session_id)


def _duration(state: SessionState, ended: bool) -> float | None:
    if state.started_at is None:
        return None
    end = state.ended_at if ended else state.last_ts
    if end is None:
        return None
    return max(0.0, end - state.started_at)


def summary_json(summary: SessionSummary) -> dict[str, JSON]:
    """One session as `gameday sessions --json` prints it (times as UTC ISO 8601)."""
    return {
        "session_id": summary.session_id,
        "journal": str(summary.journal),
        "scenario_id": summary.scenario_id,
        "scenario_title": summary.scenario_title,
        "started": utc_iso(summary.started) if summary.started is not None else None,
        "duration": round(summary.duration, 3) if summary.duration is not None else None,
        "verdict": summary.verdict,
        "exit_status": summary.exit_status,
        "status": summary.status,
        "running": summary.running,
        "targets": list(summary.targets),
        "findings_file": summary.findings_file or None,
        "mode": summary.mode,
        "participants": [{"name": n, "role": r} for n, r in summary.participants],
        "problem": summary.problem or None,
        "ladder": summary.ladder or None,
    }


def duration_text(seconds: float | None) -> str:
    """`42s`, `12m05s`, `1h02m`; `-` when unknown."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def outcome_text(summary: SessionSummary) -> str:
    """The verdict, or what stands in for it: `running`, `interrupted`, `stopped in preflight`."""
    return summary.verdict or summary.status
