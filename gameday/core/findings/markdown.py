"""The findings as Markdown that renders on GitHub and GitLab and reads well as plain text.

Every piece of text that came from a person or a host goes through `inline`, `cell` or `code`
(gameday.core.findings.text); everything else here is fixed wording.
"""

from __future__ import annotations

from collections.abc import Sequence

from gameday.core.findings.chart import chart_legend, mermaid_chart, spark_lines
from gameday.core.findings.ladder import ladder_section
from gameday.core.findings.model import (
    Findings,
    Measure,
    Note,
    ProbeFindings,
    RevertCheck,
    Stats,
)
from gameday.core.findings.text import (
    cell,
    code,
    count,
    inline,
    number,
    offset,
    seconds_text,
    utc_date,
    utc_iso,
    utc_time,
)

VERDICT_WORDS = {
    "held": "held",
    "deviated": "deviated",
    "aborted": "aborted",
    "revert_unconfirmed": "revert unconfirmed",
    "unfinished": "unfinished",
}


class _Doc:
    def __init__(self, findings: Findings, mermaid: bool = True) -> None:
        self.f = findings
        self.mermaid = mermaid
        self.start = findings.started_at or 0.0
        self.lines: list[str] = []
        self.multi_day = bool(
            findings.started_at is not None
            and findings.ended_at is not None
            and utc_date(findings.started_at) != utc_date(findings.ended_at)
        )

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def heading(self, text: str) -> None:
        self.add("", f"## {text}", "")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.add("| " + " | ".join(header) + " |")
        self.add("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self.add("| " + " | ".join(row) + " |")

    def at(self, ts: float | None) -> str:
        return "—" if ts is None else offset(ts - self.start)

    def clock(self, ts: float) -> str:
        return utc_iso(ts) if self.multi_day else utc_time(ts)


def render_markdown(findings: Findings, *, mermaid: bool = True) -> str:
    """The whole document; ends with a newline. `mermaid=False` leaves out the Mermaid charts
    (for a reader that cannot draw them, like the console): the text sparklines remain."""
    doc = _Doc(findings, mermaid)
    _header(doc)
    _ladder(doc)
    _participants(doc)
    _scenario(doc)
    _blast_radius(doc)
    _aborts(doc)
    _timeline(doc)
    _steady_state(doc)
    _durations(doc)
    _reverts(doc)
    _observations(doc)
    _actions(doc)
    _appendix(doc)
    return "\n".join(doc.lines).strip() + "\n"


def _header(doc: _Doc) -> None:
    f = doc.f
    doc.add(f"# {inline(f.title)}", "")
    word = VERDICT_WORDS.get(f.verdict, f.verdict)
    doc.add(
        f"**Verdict: {word}** — {inline(f.verdict_reason) if f.verdict_reason else ''}".rstrip(" —")
    )
    doc.add("")
    if f.started_at is not None:
        end = utc_iso(f.ended_at) if f.ended_at is not None else "—"
        doc.add(f"- **Date (UTC):** {utc_iso(f.started_at)} → {end}")
    if f.gameday_name:
        doc.add(f"- **GameDay:** {inline(f.gameday_name)}")
    doc.add(f"- **Environment:** {inline(f.environment)}")
    duration = f.duration
    ended = "" if f.finished else " (the session did not finish)"
    doc.add(f"- **Duration:** {seconds_text(duration) if duration is not None else '—'}{ended}")
    if f.appendix.session_id:
        mode = f" ({inline(f.mode)})" if f.mode else ""
        doc.add(f"- **Session:** {code(f.appendix.session_id)}{mode}")
    for caveat in f.caveats:
        doc.add("")
        text = f"> **Warning:** {inline(caveat.text)}"
        if caveat.command:
            text += f" {code(caveat.command)}"
        doc.add(text)
    doc.heading("Summary")
    for i, line in enumerate(f.summary, start=1):
        doc.add(f"{i}. {inline(line)}")


def _ladder(doc: _Doc) -> None:
    story = doc.f.ladder
    if story is None:
        return
    doc.heading("Ladder")
    doc.add(*ladder_section(story, {p.name: p.unit for p in doc.f.probes}, doc.start))


def _participants(doc: _Doc) -> None:
    doc.heading("Participants")
    people = doc.f.participants
    if not people:
        doc.add("No participant joined or wrote a note: only the system acted.")
        return
    doc.table(
        ["Name", "Role", "Notes"],
        [
            [cell(p.name), cell(p.role or "(did not join with a role)"), str(p.notes)]
            for p in people
        ],
    )


def _scenario(doc: _Doc) -> None:
    s = doc.f.scenario
    doc.heading("Scenario")
    doc.add(f"- **Id:** {code(s.id) if s.id else '—'}")
    doc.add(f"- **Title:** {inline(s.title) if s.title else '—'}")
    doc.add(f"- **Hypothesis:** {inline(s.hypothesis) if s.hypothesis else '—'}")
    doc.add(f"- **File:** {code(s.file) if s.file else '—'}")
    doc.add(f"- **File SHA-256:** {code(s.sha256) if s.sha256 else '—'}")
    if s.schedule:
        doc.add("- **Schedule:** " + ", ".join(f"{k} {inline(v)}" for k, v in s.schedule))
    if s.faults:
        doc.add("")
        doc.table(
            ["Fault kind", "Parameters"],
            [
                [
                    code(fault.kind, in_table=True),
                    cell("; ".join(f"{k}: {v}" for k, v in fault.params) or "none"),
                ]
                for fault in s.faults
            ],
        )
    if s.rollback:
        doc.add("")
        doc.table(
            ["Rollback step", "Command", "Runs on", "Required"],
            [
                [
                    cell(r.name),
                    code(r.command, in_table=True),
                    cell(r.host),
                    "yes" if r.required else "no",
                ]
                for r in s.rollback
            ],
        )
    for missing in s.missing:
        doc.add("", f"*Not recorded:* {inline(missing)}.")


def _blast_radius(doc: _Doc) -> None:
    b = doc.f.blast_radius
    doc.heading("Blast radius")
    if not b.planned:
        doc.add("No plan is recorded in the journal: the targets are unknown.")
        return
    targets = ", ".join(code(t) for t in b.targets) or "none"
    doc.add(f"- **Targets ({len(b.targets)}):** {targets}")
    if b.waves:
        waves = "; ".join(", ".join(code(h) for h in wave) for wave in b.waves)
        doc.add(f"- **Waves:** {waves}")
    if b.seed is not None:
        doc.add(f"- **Selection seed:** {b.seed}")
    if b.faults:
        per_host = "; ".join(
            f"{code(host)}: {', '.join(code(i) for i in ids)}" for host, ids in b.faults
        )
        doc.add(f"- **Faults per host:** {per_host}")
    doc.add("")
    if b.spared:
        doc.table(["Spared host", "Why"], [[cell(h), cell(r)] for h, r in b.spared])
    else:
        doc.add("No host was spared.")


def _aborts(doc: _Doc) -> None:
    a = doc.f.aborts
    doc.heading("Abort criteria")
    if not a.rules_known:
        doc.add("The abort rules are not in the journal's scenario snapshot.")
    elif not a.rules:
        doc.add("The scenario has no abort rule.")
    else:
        doc.table(
            ["Rule", "Fired"],
            [
                [cell(r.text), f"**yes**, {doc.at(r.fired_at)}" if r.fired_at is not None else "no"]
                for r in a.rules
            ],
        )
    doc.add("")
    if a.fired:
        for fired in a.fired:
            doc.add(
                f"- **Abort at {doc.at(fired.at)}** ({doc.clock(fired.at)} UTC): "
                f"{inline(fired.rule)} — {inline(fired.reason)}"
            )
    else:
        doc.add("No abort rule fired.")
    k = a.kill_switch
    if k is not None:
        doc.add("")
        who = f" by {inline(k.actor)}" if k.actor != "system" else ""
        reason = f": {inline(k.reason)}" if k.reason else ""
        doc.add(
            f"- **Kill switch pulled at {doc.at(k.at)}** ({doc.clock(k.at)} UTC, "
            f"{inline(k.source)}){who}{reason}"
        )
        if k.latency is not None:
            outcomes = ", ".join(f"{code(h)} {inline(o)}" for h, o in k.hosts) or "no hosts"
            doc.add(f"- Kill switch done in {seconds_text(k.latency)}: {outcomes}")
        else:
            doc.add("- **The kill switch's outcome is not in the journal.**")


def _timeline(doc: _Doc) -> None:
    doc.heading("Timeline")
    entries = doc.f.timeline
    if not entries:
        doc.add("The journal holds no events.")
        return
    rows = []
    for e in entries:
        text = cell(e.text)
        if e.important:
            text = f"**{text}**"
        if e.command:
            text += " " + code(e.command, in_table=True)
        rows.append([doc.clock(e.at), doc.at(e.at), cell(e.actor), text])
    doc.table(["UTC", "T+", "Actor", "Event"], rows)


def _stats_row(name: str, s: Stats, unit: str) -> list[str]:
    return [
        name,
        str(s.samples),
        str(s.no_data),
        number(s.min, unit),
        number(s.mean, unit),
        number(s.max, unit),
        number(s.p95, unit),
    ]


def _steady_state(doc: _Doc) -> None:
    f = doc.f
    doc.heading("Steady state")
    if f.fault_window is not None:
        w0, w1 = f.fault_window
        doc.add(
            f"Fault window: {doc.at(w0)} → {doc.at(w1)} ({seconds_text(w1 - w0)}; it ends at the "
            f"{f.fault_window_end})."
        )
    else:
        doc.add("No fault was injected, so there is no fault window; samples are grouped by phase.")
    if not f.probes:
        doc.add("", "No samples were recorded and the journal names no probe.")
    for probe in f.probes:
        _probe(doc, probe)


def _probe(doc: _Doc, p: ProbeFindings) -> None:
    doc.add("", f"### {inline(p.name)}", "")
    kind = f" ({inline(p.kind)})" if p.kind else ""
    doc.add(f"- **Query{kind}:** {code(p.query) if p.query else '—'}")
    doc.add(f"- **Threshold:** {inline(p.threshold)}")
    for missing in p.missing:
        doc.add(f"- *Not recorded:* {inline(missing)}")
    if not p.points:
        return
    doc.add("")
    if doc.f.fault_window is not None:
        names = ("before the fault", "during the fault", "after the fault")
    else:
        names = ("preflight to warmup", "inject and monitor", "revert to after")
    doc.table(
        ["Window", "Samples", "No data", "Min", "Mean", "Max", "p95"],
        [
            _stats_row(names[0], p.before, p.unit),
            _stats_row(names[1], p.during, p.unit),
            _stats_row(names[2], p.after, p.unit),
        ],
    )
    doc.add("")
    if p.breaches:
        doc.add(f"**Breaches ({len(p.breaches)}):**", "")
        for b in p.breaches:
            back = (
                f", back within the threshold at {doc.at(b.back_at)}"
                if b.back_at is not None
                else ", still outside the threshold when the journal ends"
            )
            value, bound = number(b.value, p.unit), number(b.bound, p.unit)
            doc.add(f"- {doc.at(b.at)}: {value} {b.direction} {bound}{back}")
    else:
        doc.add("No breach recorded.")
    chart = mermaid_chart(p, doc.start, doc.f.fault_window) if doc.mermaid else ""
    if chart:
        doc.add(
            "", "```mermaid", chart, "```", "", f"*{inline(chart_legend(p, doc.f.fault_window))}.*"
        )
    line, under = spark_lines(p, doc.f.fault_window)
    label_width = 6
    doc.add("", "```text", f"{'value':<{label_width}}{line}")
    if under:
        doc.add(f"{'fault':<{label_width}}{under}")
    doc.add("```")


def _measure(m: Measure) -> list[str]:
    return [seconds_text(m.seconds) if m.seconds is not None else "—", cell(m.text)]


def _durations(doc: _Doc) -> None:
    d = doc.f.durations
    doc.heading("Key durations")
    rows = [
        ["Time to inject", *_measure(d.to_inject)],
        ["Time to detect", *_measure(d.to_detect)],
        ["Time to recover", *_measure(d.to_recover)],
    ]
    if d.kill_switch is not None:
        rows.append(["Kill-switch latency", *_measure(d.kill_switch)])
    doc.table(["Measure", "Value", "How it was measured"], rows)
    doc.add("")
    if d.reverts:
        doc.table(
            ["Host", "Fault", "Reverted by", "Took", "Verified"],
            [
                [
                    code(r.host, in_table=True),
                    code(r.fault_id, in_table=True),
                    cell(r.by),
                    seconds_text(r.seconds),
                    "yes" if r.verified else "**no**",
                ]
                for r in d.reverts
            ],
        )
    else:
        doc.add("No revert is recorded.")


_STATUS = {
    "verified": "reverted and verified",
    "unconfirmed": "**NOT confirmed reverted**",
    "not_reverted": "**NOT reverted**",
    "never_injected": "never injected: nothing to revert",
}


def _revert_row(doc: _Doc, r: RevertCheck) -> list[str]:
    outcome = _STATUS[r.status]
    if r.status == "verified":
        outcome += f" ({cell(r.by)}, {doc.at(r.at)})"
    elif r.detail:
        outcome += f": {cell(r.detail)}"
    todo = "<br>".join(code(c, in_table=True) for c in r.todo) or "nothing"
    if r.todo and r.deadline:
        todo += f"<br>(the host's own timer reverts it at {doc.clock(r.deadline)} UTC)"
    return [
        code(r.host, in_table=True),
        code(r.fault_id, in_table=True),
        cell(r.kind or "—"),
        outcome,
        todo,
    ]


def _reverts(doc: _Doc) -> None:
    doc.heading("Revert verification")
    checks = doc.f.reverts
    if not checks:
        doc.add("No fault was planned or armed: nothing to revert.")
        return
    open_ = [r for r in checks if r.todo]
    if open_:
        hosts = ", ".join(sorted({r.host for r in open_}))
        doc.add(
            f"**{count(len(open_), 'fault')} may still be active on {inline(hosts)}. Run now:**", ""
        )
        commands = list(dict.fromkeys(c for r in open_ for c in r.todo))
        doc.add("```sh", *[c.replace("\n", " ") for c in commands], "```", "")
    elif all(r.status == "never_injected" for r in checks):
        doc.add("No fault was injected: nothing to revert.", "")
    else:
        doc.add("Every injected fault was reverted and verified.", "")
    doc.table(
        ["Host", "Fault", "Kind", "Outcome", "What to do"], [_revert_row(doc, r) for r in checks]
    )
    with_commands = [r for r in open_ if r.revert_commands]
    for r in with_commands:
        doc.add("", f"Revert commands journaled for {code(r.fault_id)} on {code(r.host)}:", "")
        for command in r.revert_commands:
            doc.add(f"- {code(command)}")


def _note_lines(doc: _Doc, title: str, notes: Sequence[Note]) -> None:
    doc.add(f"### {title}", "")
    if not notes:
        doc.add("Nothing was noted.")
    for n in notes:
        doc.add(f"- {inline(n.text)} — *{inline(n.actor)}, {doc.at(n.at)}*")


def _observations(doc: _Doc) -> None:
    doc.heading("Observations")
    f = doc.f
    _note_lines(doc, "Went well", f.went_well)
    doc.add("")
    _note_lines(doc, "Went wrong", f.went_wrong)
    doc.add("")
    _note_lines(doc, "Where we got lucky", f.lucky)


def _actions(doc: _Doc) -> None:
    doc.heading("Action items")
    if not doc.f.actions:
        doc.add("No action item was noted.")
        return
    doc.table(
        ["#", "Action", "Owner", "Due", "Raised by"],
        [
            [
                str(i),
                cell(a.text),
                cell(a.owner) if a.owner else "**unassigned**",
                cell(a.due) if a.due else "—",
                f"{cell(a.actor)}, {doc.at(a.at)}",
            ]
            for i, a in enumerate(doc.f.actions, start=1)
        ],
    )


def _appendix(doc: _Doc) -> None:
    a = doc.f.appendix
    doc.heading("Appendix")
    doc.add(f"- **Journal:** {code(a.journal_path)}")
    doc.add(f"- **Journal SHA-256:** {code(a.journal_sha256)}")
    torn = "; its last line is torn (left out)" if a.torn else ""
    skipped = (
        f"; {count(a.skipped_lines, 'line')} of unknown types left out" if a.skipped_lines else ""
    )
    doc.add(f"- **Events:** {a.events}{torn}{skipped}")
    doc.add(f"- **Scenario file:** {code(a.scenario_file) if a.scenario_file else '—'}")
    doc.add(f"- **Inventory file:** {code(a.inventory_file) if a.inventory_file else '—'}")
    session = inline(a.session_gameday_version) if a.session_gameday_version else "not recorded"
    doc.add(f"- **gameday version:** session {session}; exported with {inline(a.exporter_version)}")
