"""The plan screen: pick a scenario, read its blast radius and commands, start it or rehearse
it (preflight only).

Every scenario is read and planned in workers as soon as the list is loaded (files are IO; no
host is contacted). What starts is what is shown: `s`, enter or a double-click build the start
dialog from the highlighted scenario's plan, rendered first if it was not on screen yet; while
that plan is still being computed, start is refused with a word. A single click only selects.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar, Protocol

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from gameday.core.roles import Team, describe_team, load_team, save_team
from gameday.core.units import format_duration
from gameday.core.wording import count, probe_bounds, rule_texts
from gameday.errors import GamedayError
from gameday.ui.backend import Backend, ScenarioChoice
from gameday.ui.kept_keys import KeptKeys
from gameday.ui.keys import KILL_SWITCH_FIRST
from gameday.ui.messages import PlanReady, ScenariosLoaded
from gameday.ui.screens.confirm import ConfirmScreen, TypedConfirmScreen
from gameday.ui.screens.team import TeamScreen
from gameday.ui.workers import run_io

if TYPE_CHECKING:  # read once a plan is shown, not before the first frame
    from gameday.core.plan import Plan
    from gameday.ui.runner import SessionRunner

SESSION_MODULES = ("gameday.ui.runner", "gameday.ui.screens.session")
"""A session's runner and screen (its widgets, the engine's events)."""


class Console(Protocol):
    """What this screen needs of the app (the app module imports the screens, not the reverse)."""

    runner: SessionRunner | None
    confirm_over: int
    """More targets than this need the scenario id typed to start."""
    kept_keys: KeptKeys
    """Where the keys typed after a confirmed start wait for the session's note box."""

    def start_session(self, plan: Plan) -> None: ...


class ScenarioList(OptionList):
    """An option list where one click selects and only a double-click starts, and the arrows
    stop at its ends: ↑ pressed a few times too often to reach the top must not land on the
    bottom scenario (Textual's list wraps round)."""

    def action_cursor_up(self) -> None:
        if self.highlighted != self._end(first=True):
            super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if self.highlighted != self._end(first=False):
            super().action_cursor_down()

    def _end(self, *, first: bool) -> int | None:
        enabled = [i for i, option in enumerate(self.options) if not option.disabled]
        return (enabled[0] if first else enabled[-1]) if enabled else None

    async def _on_click(self, event: events.Click) -> None:
        event.prevent_default()  # OptionList's own click handler would start at once
        clicked = event.style.meta.get("option")
        if not isinstance(clicked, int) or self.get_option_at_index(clicked).disabled:
            return
        self.highlighted = clicked
        if event.chain >= 2:
            self.action_select()


class PlanScreen(Screen[None]):
    CSS_PATH = "plan.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        KILL_SWITCH_FIRST,
        Binding("s", "start", "Start"),
        Binding("p", "preflight", "Preflight only"),
        Binding("t", "team", "Team"),
        Binding("h", "history", "History"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self.plans: dict[str, PlanReady] = {}
        """Scenario key → its plan (or problem), once planned."""
        self.current: str | None = None
        """The highlighted scenario's key."""
        self.shown: str | None = None
        """The key whose plan is on screen now (None while "Planning…" is shown)."""

    @property
    def gameday(self) -> Console:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield ScenarioList(id="scenarios")
            with VerticalScroll(id="detail"):
                yield Static("Reading scenarios…", id="plan")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#scenarios", OptionList).border_title = "Scenarios"
        self.query_one("#detail").border_title = "Plan"
        # The files are read after the next refresh, not now: a worker thread started now takes
        # the GIL from the first layout and paint (~15 ms of CPU before the first frame here).
        # Textual runs these when the screen is next idle, still a little before the first
        # write, so this shortens the overlap without removing it.
        self.call_after_refresh(self._load_scenarios)
        self.call_after_refresh(self._load_team)

    def _load_scenarios(self) -> None:
        backend = self.backend

        def load() -> None:
            try:
                self.post_message(ScenariosLoaded(tuple(backend.scenarios())))
            except (GamedayError, OSError) as exc:
                self.post_message(ScenariosLoaded((), f"cannot read the scenarios: {exc}"))

        run_io(self, load, group="scenarios", description="read the scenario files")

    def _load_team(self) -> None:
        """The team remembered by the last console, if the backend remembers one."""
        backend, path = self.backend, self.backend.team_file
        if path is None:
            return

        def load() -> None:
            team = load_team(path)
            if not backend.team.people and not backend.team.name:
                backend.team = team

        run_io(self, load, group="team", description=f"read the team from {path}")

    def action_team(self) -> None:
        """The setup step: the GameDay's name and its people."""
        backend = self.backend

        def chosen(team: Team | None) -> None:
            if team is None:
                return
            backend.team = team
            self.notify(
                describe_team(team) or "No participants: notes go to " + backend.author,
                title="Team",
            )
            path = backend.team_file
            if path is not None:
                run_io(
                    self,
                    lambda: save_team(path, team),
                    group="team",
                    description=f"remember the team in {path}",
                )

        self.app.push_screen(TeamScreen(backend.team), chosen)

    def on_scenarios_loaded(self, message: ScenariosLoaded) -> None:
        options = self.query_one("#scenarios", OptionList)
        options.clear_options()
        for choice in message.choices:
            options.add_option(Option(_choice_label(choice), id=choice.key))
        if not message.choices:
            why = message.problem or "No scenario files were found."
            self.query_one("#plan", Static).update(Text(why, style="bold red"))
            return
        options.highlighted = 0
        options.focus()
        self._plan_all([choice.key for choice in message.choices])

    def _plan_all(self, keys: list[str]) -> None:
        """Plan every scenario in the background, so a quick ↓ ↓ s finds its plan ready, then
        load what starting a session imports (~80 ms of CPU, once): the UI thread does not
        wait for it then, nor the first frame now."""
        backend = self.backend

        def plan_each() -> None:
            for key in keys:
                self.post_message(_plan_of(backend, key))
            for name in SESSION_MODULES:
                importlib.import_module(name)

        run_io(self, plan_each, group="plan-all", description="plan every scenario")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        key = event.option.id
        if key is None:
            return
        self.current = key
        if key in self.plans:
            self._show(self.plans[key])
            return
        self.shown = None
        self.query_one("#plan", Static).update("Planning…")
        backend = self.backend

        def make_plan() -> None:
            self.post_message(_plan_of(backend, key))

        run_io(self, make_plan, group="plan", description=f"plan {key}", exclusive=True)

    def on_option_list_option_selected(self, _event: OptionList.OptionSelected) -> None:
        self.action_start()

    def on_plan_ready(self, message: PlanReady) -> None:
        self.plans.setdefault(message.key, message)
        if message.key == self.current and self.shown != message.key:
            self._show(message)

    def action_history(self) -> None:
        """Past and running sessions (`gameday.ui.screens.history`)."""
        from gameday.ui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.backend))

    def highlighted_key(self) -> str | None:
        """The scenario highlighted in the list right now (not what a late message says)."""
        options = self.query_one("#scenarios", OptionList)
        if options.highlighted is None or options.option_count == 0:
            return None
        return options.get_option_at_index(options.highlighted).id

    def _plan_on_screen(self, doing: str) -> Plan | None:
        """The highlighted scenario's plan, shown first if it was not yet; None (and a word to
        the facilitator) while it is being computed or cannot run."""
        key = self.highlighted_key()
        ready = self.plans.get(key or "")
        if key is None:
            self.notify("Choose a scenario first.", severity="warning")
            return None
        if ready is None:
            self.notify(
                f"Still planning this scenario: {doing} once its plan is on screen.",
                title="Not yet",
                severity="warning",
            )
            return None
        self.current = key
        if self.shown != key:
            self._show(ready)
        if ready.plan is None:
            self.notify("This scenario cannot run: its plan says why.", severity="warning")
        return ready.plan

    def action_start(self) -> None:
        runner = self.gameday.runner
        if runner is not None and runner.running:
            self.notify("A session is already running.", severity="warning")
            return
        plan = self._plan_on_screen("start it")
        if plan is None:
            return
        scenario = plan.scenario
        targets = plan.selection.targets
        count = len(targets)
        question = f"Start {scenario.id} on {count} host{'s' if count != 1 else ''}?"
        waves = len(plan.selection.waves)
        author = self.backend.author
        role = "" if author == "coordinator" else " as coordinator"  # said once, not twice
        team = describe_team(self.backend.team) or f"no team set (t): {author} joins{role}"
        detail = (
            f"{scenario.title}\n"
            f"Targets ({count}, in {waves} wave{'s' if waves != 1 else ''}): {', '.join(targets)}\n"
            f"Team: {team}\n"
            "The kill switch (ctrl+k) reverts every fault on every host at any time."
        )
        stages = plan.selection.stages
        if stages:
            first = len(stages[0])
            question = (
                f"Start the ladder of {scenario.id}: stage 1 of {len(stages)} on {first} "
                f"host{'s' if first != 1 else ''}?"
            )
            detail = (
                f"{scenario.title}\nStage 1: {', '.join(stages[0])}; up to "
                f"{count} hosts, one stage at a time, while the steady state holds and the "
                f"owner says go.\nTeam: {team}\nThe kill switch (ctrl+k) reverts every fault "
                "on every host at any time."
            )

        def answered(yes: bool | None) -> None:
            if yes:
                self.gameday.start_session(plan)

        from gameday.core.confirmation import typed_confirmation_reason

        why = typed_confirmation_reason(plan, self.gameday.confirm_over)
        if why:
            detail += f"\nThis start needs the scenario id typed: {why}."
            typed = TypedConfirmScreen(question, detail, scenario.id, keep=self.gameday.kept_keys)
            self.app.push_screen(typed, answered)
            return
        confirm = ConfirmScreen(question, detail, yes="Start", keep=self.gameday.kept_keys)
        self.app.push_screen(confirm, answered)

    def action_preflight(self) -> None:
        """Preflight only: check every host and probe of the plan on screen; inject nothing."""
        plan = self._plan_on_screen("rehearse it")
        if plan is None:
            return
        from gameday.ui.screens.preflight import PreflightScreen

        self.app.push_screen(PreflightScreen(self.backend, plan))

    def _show(self, ready: PlanReady) -> None:
        body: RenderableType
        if ready.plan is None:
            body = Text(f"This scenario cannot run:\n\n{ready.problem}", style="bold red")
        else:
            body = describe_plan(ready.plan)
        self.query_one("#plan", Static).update(body)
        self.query_one("#detail", VerticalScroll).scroll_home(animate=False)
        self.shown = ready.key


def _plan_of(backend: Backend, key: str) -> PlanReady:
    try:
        return PlanReady(key, backend.plan(key))
    except GamedayError as exc:
        return PlanReady(key, None, f"{exc.title}: {exc.message}")


def _choice_label(choice: ScenarioChoice) -> Text:
    label = Text(choice.title, style="bold")
    label.append(f"\n{choice.scenario_id}", style="dim")
    if choice.problem:
        label.append("\ninvalid: " + choice.problem, style="red")
    return label


def describe_plan(plan: Plan) -> Group:
    """Everything a facilitator reads before saying yes, as Rich renderables."""
    from gameday.core.faults.reference import display

    s = plan.scenario
    selection = plan.selection
    parts: list[RenderableType] = [Text(s.title, style="bold"), Text(s.id, style="dim")]
    if s.hypothesis:
        parts += [Text("\nHypothesis", style="bold underline"), Text(s.hypothesis)]
    if selection.stages:
        parts += _ladder(plan)
    else:
        waves = Text()
        for number, wave in enumerate(selection.waves, start=1):
            waves.append(f"  wave {number}: ", style="dim")
            waves.append(", ".join(wave) + "\n", style="bold magenta")
        parts += [
            Text(
                f"\nBlast radius: {count(len(selection.targets), 'target')} in "
                f"{count(len(selection.waves), 'wave')}, seed {selection.seed_used}",
                style="bold underline",
            ),
            waves,
        ]
    if selection.spared:
        spared = Table(title=None, box=None, show_header=True, header_style="bold", expand=True)
        spared.add_column("spared host", style="green", no_wrap=True)
        spared.add_column("why")
        for name, reason in selection.spared.items():
            spared.add_row(name, reason)
        parts.append(spared)
    schedule = s.schedule
    parts.append(
        Text(
            f"\nSchedule: warmup {format_duration(schedule.warmup)}, duration "
            f"{format_duration(schedule.duration)} per {'stage' if selection.stages else 'wave'}, "
            "cooldown "
            f"{format_duration(schedule.cooldown)}; probes every "
            f"{format_duration(s.steady_state.interval)}"
        )
    )
    probes = Table(box=None, show_header=True, header_style="bold", expand=True)
    probes.add_column("probe", no_wrap=True)
    probes.add_column("holds when")
    for probe in s.steady_state.probes:
        probes.add_row(probe.name, probe_bounds(probe))
    parts += [Text("\nSteady state", style="bold underline"), probes]
    if s.abort_when:
        parts.append(Text("\nAbort when", style="bold underline"))
        for text in rule_texts(s.abort_when, s.steady_state.probes):
            parts.append(Text("  " + text))
    parts.append(Text("\nCommands each target receives", style="bold underline"))
    for target, host in plan.hosts.items():
        when = f"joins at stage {host.stage}" if host.stage else f"wave {host.wave}"
        parts.append(Text(f"\n{target} ({when})", style="bold magenta"))
        commands = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        commands.add_column("phase", style="dim", no_wrap=True)
        commands.add_column("command", overflow="fold")
        for step in host.steps():
            commands.add_row(f"{step.phase} {step.kind}", display(step.command))
        parts.append(commands)
    return Group(*parts)


def _ladder(plan: Plan) -> list[RenderableType]:
    """The ladder: which hosts join at which stage, and the rule that climbs it."""
    selection = plan.selection
    title = Text(
        f"\nBlast radius: a ladder of {len(selection.stages)} stages up to "
        f"{count(len(selection.targets), 'target')}, seed {selection.seed_used}",
        style="bold underline",
    )
    rule = Text(
        "Each stage is injected, watched, reverted and verified; the next starts only if the "
        "steady state held (no breach, no poll without data) and the owner says go.",
        style="dim",
    )
    stages = Table(box=None, show_header=True, header_style="bold", expand=False)
    stages.add_column("stage", no_wrap=True)
    stages.add_column("hosts", no_wrap=True)
    stages.add_column("joining", style="bold magenta")
    sizes = plan.scenario.targets.stages
    for number, hosts in enumerate(selection.stages, start=1):
        size = sizes[number - 1].text if number <= len(sizes) else str(len(hosts))
        waves = len(selection.stage_waves(number))
        in_waves = f" in {waves} waves" if waves > 1 else ""
        stages.add_row(
            f"{number} ({size})", f"{len(hosts)}{in_waves}", ", ".join(selection.joining(number))
        )
    return [title, rule, stages, Text("")]
