"""The session's status line and its alarm banner, both rendered from the session's state.

Status, in this order: phase and wave, steady state (HOLDING / BREACHED / NO DATA), time left,
then the title. Below 120 columns it wraps onto a second line instead of cutting the end.
The banner shows the newest alarm not yet acknowledged (abort rule, lease lost, kill switch,
revert unconfirmed), with what happens next, until the facilitator acknowledges it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from gameday.core.wording import steady_word, time_left_text, verdict_word

if TYPE_CHECKING:  # types only: the plan's modules load when a session opens
    from gameday.core.session.alarms import Alarm
    from gameday.core.session.state import SessionState
    from gameday.core.view import SessionFacts

WIDE = 120
"""Below this many columns the status line wraps after the steady state."""
TIMED_PHASES = ("warmup", "monitor", "cooldown")
WAVE_PHASES = ("inject", "monitor", "revert")
STEADY_STYLES = {
    "HOLDING": "bold green",
    "BREACHED": "bold white on red",
    "NO DATA": "bold black on yellow",
    "WAITING": "dim",
}
ACK_HINT = "esc: acknowledge"


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: auto; padding: 0 1; background: $boost; }
    """

    def show(
        self,
        state: SessionState,
        facts: SessionFacts,
        now: float,
        ended: bool = False,
        question: str = "",
    ) -> None:
        """`question`: what the session waits for a person to answer (the ladder's go/no-go)."""
        self.update(
            status_text(state, facts, now, ended, self.size.width or WIDE, question=question)
        )


def status_text(
    state: SessionState,
    facts: SessionFacts,
    now: float,
    ended: bool,
    width: int,
    *,
    question: str = "",
) -> Text:
    parts = [_phase(state, facts, ended), _steady(state, ended)]
    if question and not ended:
        parts.append(Text(question, style="bold black on yellow"))
    left = _time_left(state, facts, now) if not ended else None
    if left is not None:
        parts.append(Text(left, style="bold"))
    title = Text(facts.title, style="italic")
    separator = Text("  │  ", style="dim")
    head = separator.join(parts)
    if width >= WIDE:
        return separator.join([head, title])
    return Text("\n").join([head, title])


def _phase(state: SessionState, facts: SessionFacts, ended: bool) -> Text:
    if ended or state.phase == "done":
        return Text("DONE", style="bold")
    phase = (state.phase or "opening").upper()
    text = Text(phase, style="bold")
    if state.kill_switch and not ended:
        text.append(" (kill switch)", style="bold red")
    if state.stage and state.phase in WAVE_PHASES:
        text.append(f" · stage {state.stage}/{state.stages or facts.stages}")
    elif state.wave and state.phase in WAVE_PHASES:
        text.append(f" · wave {state.wave}/{state.waves or facts.waves}")
    return text


def _steady(state: SessionState, ended: bool) -> Text:
    if ended or state.verdict:
        if state.verdict is None:
            return Text("NOT STARTED", style="bold white on red")
        style = "bold green" if state.verdict == "held" else "bold white on red"
        return Text.assemble("verdict ", (verdict_word(state.verdict), style))
    latest = {name: series[-1].ok for name, series in state.samples.items() if series}
    word = steady_word(latest)
    return Text.assemble("steady state ", (word, STEADY_STYLES[word]))


def _time_left(state: SessionState, facts: SessionFacts, now: float) -> str | None:
    length = facts.phase_length(state.phase)
    if length is None or state.phase not in TIMED_PHASES or state.phase_started is None:
        return None
    return time_left_text(max(0.0, state.phase_started + length - now))


class AlarmBanner(Static):
    """Hidden while no alarm waits; otherwise the newest unacknowledged one, in red."""

    DEFAULT_CSS = """
    AlarmBanner { display: none; height: auto; padding: 0 1; background: $error; color: white;
                  text-style: bold; }
    AlarmBanner.-visible { display: block; }
    AlarmBanner.-calm { background: $success-darken-2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.acknowledged: set[tuple[str, int]] = set()
        """(key, seq) of every alarm acknowledged (an alarm that changes shows again)."""
        self.alarm: Alarm | None = None
        """The alarm shown (None: hidden)."""

    def show(self, state: SessionState) -> None:
        waiting = [a for a in state.alarms.values() if (a.key, a.seq) not in self.acknowledged]
        # A severe alarm is never hidden behind a calm one (a clean kill switch).
        waiting.sort(key=lambda a: (a.severe, a.seq))
        self.alarm = waiting[-1] if waiting else None
        self.set_class(self.alarm is not None, "-visible")
        if self.alarm is None:
            return
        self.set_class(not self.alarm.severe, "-calm")
        more = len(waiting) - 1
        text = Text(f"{self.alarm.title}: ", style="bold")
        text.append(self.alarm.text)
        text.append(f"\n{_next(self.alarm, state)}.", style="")
        hint = f"   [{ACK_HINT}" + (f"; {more} more]" if more else "]")
        text.append(hint, style="italic")
        self.update(text)

    def pending_kill(self, source: str) -> None:
        """The kill switch was pressed: say so before its first event arrives."""
        self.update(
            f"KILL SWITCH: pulled ({source}); reverting every fault on every host…\n"
            "Next: nothing more is injected; each host's outcome follows."
        )
        self.set_class(False, "-calm")
        self.add_class("-visible")

    def acknowledge(self, state: SessionState) -> bool:
        """Acknowledge the alarm shown (the next one waiting shows); False when none was."""
        if self.alarm is None:
            return False
        self.acknowledged.add((self.alarm.key, self.alarm.seq))
        self.show(state)
        return True


def _next(alarm: Alarm, state: SessionState) -> str:
    """What happens next; once the session is over, what came of it (never a stale promise)."""
    over = state.verdict is not None or state.ended_at is not None
    if not over or alarm.kind == "unconfirmed" or (alarm.kind == "kill_switch" and alarm.severe):
        return f"Next: {alarm.next_step}"
    verdict = verdict_word(state.verdict) if state.verdict else "NOT STARTED"
    return f"Then: the session ended, verdict {verdict}"
