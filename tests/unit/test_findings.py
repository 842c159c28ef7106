"""The findings document: goldens for hand-made sessions, escaping, charts, any journal prefix.

Regenerate the committed journals and expected outputs after an intended change with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_findings.py` and review the diff.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gameday.core.findings.build import (
    build_findings,
    render_grafana_annotations,
    render_json,
    render_markdown,
)
from gameday.core.findings.model import Findings
from gameday.core.findings.text import cell, code, inline
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalRead, read_journal
from tests.factories import started

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "findings"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
EXPORTER = "0.0.0-test"


def _load_builders() -> ModuleType:
    spec = importlib.util.spec_from_file_location("findings_journals", GOLDEN / "journals.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["findings_journals"] = module
    spec.loader.exec_module(module)
    return module


JOURNALS = _load_builders()
NAMES = sorted(JOURNALS.BUILDERS)


def _golden_journal(name: str) -> JournalRead:
    path = GOLDEN / f"{name}.jsonl"
    read = read_journal(path)
    # The appendix shows the path as given; keep it independent of the checkout's location.
    return dataclasses.replace(read, path=f"tests/golden/findings/{name}.jsonl")


def _findings(name: str) -> Findings:
    raw = (GOLDEN / f"{name}.jsonl").read_bytes()
    return build_findings(
        _golden_journal(name), hashlib.sha256(raw).hexdigest(), exporter_version=EXPORTER
    )


def _compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden {path.name}: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from the golden"


@pytest.mark.parametrize("name", NAMES)
def test_golden_journal_is_what_its_builder_writes(name: str, tmp_path: Path) -> None:
    fresh = tmp_path / f"{name}.jsonl"
    JOURNALS.BUILDERS[name](fresh)
    target = GOLDEN / f"{name}.jsonl"
    if UPDATE:
        target.write_bytes(fresh.read_bytes())
    assert fresh.read_bytes() == target.read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_markdown_matches_golden(name: str) -> None:
    _compare(GOLDEN / f"{name}.md", render_markdown(_findings(name)))


@pytest.mark.parametrize("name", NAMES)
def test_json_matches_golden(name: str) -> None:
    document = render_json(_findings(name))
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    _compare(GOLDEN / f"{name}.json", text)


# --- what a participant reads -------------------------------------------------------------


def test_verdict_is_the_first_thing_after_the_title() -> None:
    for name, word in (
        ("held", "held"),
        ("deviated", "deviated"),
        ("aborted", "aborted"),
        ("kill_switch", "revert unconfirmed"),
        ("crashed", "unfinished"),
    ):
        lines = render_markdown(_findings(name)).splitlines()
        assert lines[0].startswith("# GameDay findings")
        assert lines[2].startswith(f"**Verdict: {word}**"), (name, lines[2])


def test_crashed_session_says_it_ended_abruptly_and_how_to_recover() -> None:
    md = render_markdown(_findings("crashed"))
    assert "The journal ends abruptly at 2026-11-27T09:01:35Z" in md
    assert "`gameday recover tests/golden/findings/crashed.jsonl`" in md
    assert "**NOT reverted**" in md
    assert "gameday sweep -i inventories/staging.yaml checkout-2" in md


def test_a_recovered_crash_says_who_reverted_and_asks_nothing_more() -> None:
    findings = _findings("recovered")
    md = render_markdown(findings)
    assert findings.verdict == "unfinished"
    assert "its own events stop at 2026-11-27T09:01:35Z" in md
    assert "gameday recover reverted faults at 2026-11-27T09:15:01Z" in md
    assert "Every injected fault is confirmed reverted in the journal." in md
    assert [r.status for r in findings.reverts] == ["verified", "verified"]
    assert "gameday sweep" not in md


def test_unconfirmed_host_is_bold_with_what_to_do() -> None:
    findings = _findings("kill_switch")
    md = render_markdown(findings)
    row = next(
        line for line in md.splitlines() if line.startswith("| `checkout-3` | `f2` | network")
    )
    assert "**NOT confirmed reverted**" in row
    assert "gameday sweep -i inventories/staging.yaml checkout-3" in row
    ok_row = next(
        line for line in md.splitlines() if line.startswith("| `checkout-2` | `f1` | network")
    )
    assert "reverted and verified" in ok_row and "**" not in ok_row
    assert findings.durations.kill_switch is not None
    assert findings.durations.kill_switch.seconds == 2.5


def test_key_durations_are_measured_from_the_journal() -> None:
    d = _findings("deviated").durations
    assert d.to_inject.seconds == pytest.approx(3.0)  # inject phase T+65 → last injection T+68
    assert d.to_detect.seconds == pytest.approx(92 - 66)  # the impact note comes first
    assert "impact noticed by bob" in d.to_detect.text
    # last revert at T+192; first poll with every probe within at T+210 (error_rate 0.5)
    assert d.to_recover.seconds == pytest.approx(210 - 192)
    assert [(r.host, r.seconds) for r in d.reverts] == [("checkout-2", 0.8), ("checkout-3", 1.1)]


def test_steady_state_stats_split_at_the_fault_window() -> None:
    probe = next(p for p in _findings("deviated").probes if p.name == "error_rate")
    assert probe.before.samples == 4 and probe.before.max == pytest.approx(0.3)
    assert probe.during.max == pytest.approx(3.2)
    assert probe.during.p95 == pytest.approx(3.2)
    assert probe.after.samples == 3 and probe.after.min == pytest.approx(0.3)
    assert len(probe.breaches) == 1 and probe.breaches[0].back_at is not None


def test_abort_rule_is_marked_fired_with_its_time() -> None:
    findings = _findings("aborted")
    rule = findings.aborts.rules[0]
    assert rule.text == "error_rate above 5% for 2 samples in a row"
    assert rule.fired_at is not None
    assert "| error_rate above 5% for 2 samples in a row | **yes**, T+01:35 |" in render_markdown(
        findings
    )


def test_nested_snapshot_is_read_and_environment_falls_back_to_inventory() -> None:
    findings = _findings("aborted")
    assert findings.environment.startswith("staging (from the inventory")
    homepage = next(p for p in findings.probes if p.name == "homepage")
    assert homepage.threshold == "≤ 300 ms"
    assert homepage.query == "http://shop.internal/health"
    assert dict(findings.scenario.schedule)["duration"] == "2m"
    assert dict(findings.scenario.faults[0].params) == {"direction": "both", "ports": "8080"}
    assert findings.aborts.rules[1].fired_at is None  # the no-data rule did not fire


def test_session_without_samples_says_so() -> None:
    md = render_markdown(_findings("hostile_notes"))
    assert "No samples were recorded" in md


def test_observations_and_action_items_come_from_tagged_notes() -> None:
    findings = _findings("deviated")
    assert [n.text for n in findings.went_wrong] == ["Retries on the client hid half of the errors"]
    assert [n.actor for n in findings.lucky] == ["bob"]
    assert [(a.owner, a.due) for a in findings.actions] == [("", ""), ("carol", "2026-12-11")]
    md = render_markdown(findings)
    assert "| 1 | Alert on client retries, not only on errors | **unassigned** | — |" in md
    names = [p.name for p in findings.participants]
    assert names == ["bob", "alice", "carol"]  # owner, coordinator, then carol (only wrote notes)


# --- escaping and secrets -----------------------------------------------------------------


def _table_rows(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("|")]


def _unescaped_pipes(row: str) -> int:
    """Cell separators: pipes not preceded by a backslash."""
    return len(re.findall(r"(?<!\\)\|", row))


@pytest.mark.parametrize("name", NAMES)
def test_hostile_text_cannot_break_tables_html_or_structure(name: str) -> None:
    md = render_markdown(_findings(name))
    # Inside a code span HTML is shown as text; everywhere else it must be escaped.
    outside_code = re.sub(r"(`+).*?\1", "", md)
    assert "<script>" not in outside_code and "<b>" not in outside_code
    assert "<stderr>" not in outside_code
    if name == "hostile_notes":
        assert "&lt;script&gt;" in md
    lines = md.splitlines()
    in_fence = False
    for line in lines:
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        assert not line.startswith(("# not", "- not", "> not", "<")), line
    # every row of a table has as many cells as its header
    header_cells = None
    for line in lines:
        if not line.startswith("|"):
            header_cells = None
            continue
        if header_cells is None:
            header_cells = _unescaped_pipes(line)
        assert _unescaped_pipes(line) == header_cells, line


def test_secrets_never_appear() -> None:
    for name in NAMES:
        findings = _findings(name)
        outputs = (
            render_markdown(findings),
            json.dumps(render_json(findings)),
            json.dumps(render_grafana_annotations(findings)),
        )
        for out in outputs:
            for secret in ("hunter2", "abcdefgh12345", "s3cr3t", "u:pw@", "Bearer abc"):
                assert secret not in out, (name, secret)


@given(st.text(max_size=80))
def test_a_cell_is_always_one_line_without_bare_pipes_or_tags(text: str) -> None:
    escaped = cell(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert _unescaped_pipes(escaped) == 0 or "\\\\|" in escaped
    assert "<" not in escaped.replace("<br>", "")


@given(st.text(max_size=60))
def test_a_code_span_is_closed_only_by_its_own_fence(text: str) -> None:
    span = code(text)
    fence = re.match(r"`+", span)
    assert fence is not None
    inner = span[len(fence.group()) : -len(fence.group())]
    assert fence.group() not in inner
    assert "\n" not in span


@given(st.text(max_size=60))
def test_inline_text_never_starts_a_block(text: str) -> None:
    for line in inline(text).split("\n"):
        assert not re.match(r"\s*(#|>|-\s|\+\s|<)", line), line


# --- charts -------------------------------------------------------------------------------


def _mermaid_blocks(md: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in md.splitlines():
        if line == "```mermaid":
            current = []
        elif line == "```" and current is not None:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line.strip())
    return blocks


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")


def assert_well_formed_xychart(block: list[str]) -> None:
    """The subset of Mermaid's xychart grammar we emit, checked strictly."""
    assert block[0] == "xychart-beta"
    x_axis = [line for line in block if line.startswith("x-axis")]
    y_axis = [line for line in block if line.startswith("y-axis")]
    assert len(x_axis) == 1 and len(y_axis) == 1
    labels_text = re.fullmatch(r'x-axis "[^"]*" \[(.*)\]', x_axis[0])
    assert labels_text is not None, x_axis[0]
    labels = re.findall(r'"([^"]*)"', labels_text.group(1))
    assert labels and len(labels) == labels_text.group(1).count(",") + 1
    assert len(set(labels)) == len(labels), "Mermaid merges equal x-axis labels"
    y = re.fullmatch(r'y-axis "[^"]*" (\S+) --> (\S+)', y_axis[0])
    assert y is not None and _NUMBER.fullmatch(y.group(1)) and _NUMBER.fullmatch(y.group(2))
    assert float(y.group(1)) < float(y.group(2))
    series = [line for line in block if line.startswith(("line ", "bar "))]
    assert series, "no data series"
    for line in series:
        values = re.fullmatch(r"(?:line|bar) \[(.*)\]", line)
        assert values is not None, line
        numbers = [v.strip() for v in values.group(1).split(",")]
        assert all(_NUMBER.fullmatch(n) for n in numbers), line
        assert len(numbers) == len(labels), line
    titles = [line for line in block if line.startswith("title")]
    assert all(re.fullmatch(r'title "[^"`;%#]*"', t) for t in titles)
    assert set(block) == set(x_axis + y_axis + series + titles + ["xychart-beta"])


def test_every_golden_mermaid_block_is_well_formed() -> None:
    total = 0
    for name in NAMES:
        for block in _mermaid_blocks(render_markdown(_findings(name))):
            assert_well_formed_xychart(block)
            total += 1
    assert total >= 8


def test_the_fault_window_is_drawn_as_bars_at_the_top_of_the_plot() -> None:
    block = _mermaid_blocks(render_markdown(_findings("deviated")))[0]
    bars = next(line for line in block if line.startswith("bar"))
    top = re.search(r"--> (\S+)", next(line for line in block if line.startswith("y-axis")))
    assert top is not None
    values = bars[bars.index("[") + 1 : -1].split(", ")
    assert top.group(1) in values and values[0] != top.group(1)  # baseline outside the window
    assert "fault window T+01:06 to T+03:12" in block[1]


def test_sparkline_shows_gaps_for_polls_without_data(tmp_path: Path) -> None:
    path = tmp_path / "gaps.jsonl"
    session = JOURNALS.Session(path)
    session.at(
        0,
        started(
            session_id="g",
            scenario_id="g",
            scenario_title="g",
            scenario_file="g.yaml",
        ),
    )
    for i, value in enumerate((1.0, None, None, 8.0)):
        session.at(i + 1, ev.ProbeSampled(probe="p", value=value, ok=None, phase="baseline"))
    session.close()
    md = render_markdown(build_findings(read_journal(path), "0" * 64))
    assert "value ▂  █  (0 to 8)" in md


def _one_probe_session(path: Path, samples: list[tuple[float, float | None]]) -> JournalRead:
    session = JOURNALS.Session(path)
    session.at(
        0,
        started(
            session_id="g",
            scenario_id="g",
            scenario_title="g",
            scenario_file="g.yaml",
            scenario={"probes": [{"name": "p", "max": 5}]},
        ),
    )
    for t, value in samples:
        ok = None if value is None else value <= 5
        session.at(t, ev.ProbeSampled(probe="p", value=value, ok=ok, phase="baseline"))
    session.close()
    return read_journal(path)


def test_samples_in_the_same_second_get_distinct_chart_labels(tmp_path: Path) -> None:
    journal = _one_probe_session(tmp_path / "j.jsonl", [(1, 1.0), (1.2, 2.0), (1.4, 3.0)])
    block = _mermaid_blocks(render_markdown(build_findings(journal, "0" * 64)))[0]
    assert_well_formed_xychart(block)
    assert '["T+00:01", "T+00:01 (2)", "T+00:01 (3)"]' in block[2]


def test_polls_without_data_are_not_called_a_steady_state(tmp_path: Path) -> None:
    journal = _one_probe_session(tmp_path / "j.jsonl", [(1, 1.0), (2, None), (3, None)])
    findings = build_findings(journal, "0" * 64)
    assert findings.summary[1] == (
        "No probe crossed its threshold in 1 sample, but 2 polls returned no data (p)."
    )
    assert findings.probes[0].before.no_data == 2


# --- any prefix ---------------------------------------------------------------------------


@functools.cache
def _events(name: str) -> tuple[ev.Event, ...]:
    return read_journal(GOLDEN / f"{name}.jsonl").events


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_prefix_of_a_journal_exports(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES))
    events = _events(name)
    cut = data.draw(st.integers(0, len(events)))
    torn = data.draw(st.booleans())
    journal = JournalRead(f"{name}.jsonl", tuple(events[:cut]), torn=torn)
    findings = build_findings(journal, "0" * 64)
    md = render_markdown(findings)
    assert md.startswith("# GameDay findings")
    json.dumps(render_json(findings))
    json.dumps(render_grafana_annotations(findings))
    for block in _mermaid_blocks(md):
        assert_well_formed_xychart(block)
    if cut < len(events) and not any(isinstance(e, ev.VerdictReached) for e in events[:cut]):
        assert "**Verdict: unfinished**" in md


def test_an_empty_journal_exports_and_says_so() -> None:
    findings = build_findings(JournalRead("empty.jsonl", (), torn=False), "0" * 64)
    md = render_markdown(findings)
    assert "The journal holds no events" in md
    assert "**Verdict: unfinished**" in md


def test_grafana_annotations_cover_the_timeline_and_the_fault_window() -> None:
    findings = _findings("deviated")
    annotations = render_grafana_annotations(findings)
    region = annotations[0]
    assert region["tags"] == ["gameday", "session:20261127T090000-checkout", "fault-window"]
    assert region["timeEnd"] > region["time"]  # type: ignore[operator]
    assert len(annotations) == len(findings.timeline) + 1
    impact = next(a for a in annotations if "note:impact" in a["tags"])  # type: ignore[operator]
    assert impact["text"] == "bob: impact noticed: Support channel reports failed checkouts"


# --- any sequence of events, however odd --------------------------------------------------

_text = st.text(max_size=20)
_number = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6)
_value = st.none() | _number
_host = st.sampled_from(["web-1", "web-2", "db|1"])
_fault = st.sampled_from(["f1", "f2"])
_probe = st.sampled_from(["p", "q"])

_EVENT = st.one_of(
    st.builds(ev.PhaseChanged, phase=st.sampled_from(["baseline", "inject", "monitor", "after"])),
    st.builds(ev.FaultArmed, host=_host, fault_id=_fault, kind=_text, deadline=_number),
    st.builds(ev.FaultInjected, host=_host, fault_id=_fault, kind=_text),
    st.builds(ev.FaultFailed, host=_host, fault_id=_fault, step=st.just("inject"), reason=_text),
    st.builds(
        ev.FaultReverted, host=_host, fault_id=_fault, verified=st.booleans(), duration=_number
    ),
    st.builds(
        ev.ProbeSampled,
        probe=_probe,
        value=_value,
        ok=st.none() | st.booleans(),
        phase=st.sampled_from(["baseline", "monitor", "after"]),
    ),
    st.builds(
        ev.ThresholdCrossed,
        probe=_probe,
        value=_number,
        bound=_number,
        direction=st.sampled_from(["above", "below"]),
        recovered=st.booleans(),
    ),
    st.builds(ev.AbortTriggered, rule=_text, reason=_text),
    st.builds(ev.KillSwitchPulled, source=_text, reason=_text),
    st.builds(ev.KillSwitchDone, latency=_number, hosts=st.dictionaries(_host, _text)),
    st.builds(
        ev.NoteAdded,
        actor=_text,
        text=_text,
        tag=st.sampled_from(["note", "impact", "went_well", "went_wrong", "lucky", "action"]),
        owner=_text,
        due=_text,
    ),
    st.builds(ev.VerdictReached, verdict=st.sampled_from(["held", "deviated", "aborted"])),
    st.builds(ev.SessionEnded),
    st.builds(
        ev.LadderPlanned,
        stages=st.lists(st.lists(_host, max_size=3).map(tuple), max_size=3).map(tuple),
        sizes=st.lists(_text, max_size=3).map(tuple),
    ),
    st.builds(
        ev.StageStarted,
        stage=st.integers(-1, 4),
        of=st.integers(0, 4),
        hosts=st.lists(_host, max_size=3).map(tuple),
        joining=st.lists(_host, max_size=3).map(tuple),
    ),
    st.builds(
        ev.StageEnded,
        stage=st.integers(-1, 4),
        of=st.integers(0, 4),
        outcome=st.sampled_from(["held", "broke", "aborted", "unconfirmed"]),
        reason=_text,
    ),
    st.builds(
        ev.LadderDecided,
        actor=_text,
        stage=st.integers(-1, 4),
        go=st.booleans(),
        role=_text,
        how=st.sampled_from(["console", "--ladder auto", "no answer", ""]),
    ),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.booleans(),
    st.lists(st.tuples(_EVENT, st.floats(-5, 500)), max_size=25),
)
def test_any_sequence_of_events_exports(with_start: bool, items: list) -> None:  # type: ignore[type-arg]
    events: list[ev.Event] = []
    if with_start:
        events.append(
            started(
                ts=1_795_770_000.0,
                scenario={"probes": [{"name": "p", "max": 1}], "abort_when": [{"no_data": 2}]},
            )
        )
    for seq, (event, t) in enumerate(items, start=2):
        events.append(ev.with_position(event, seq, 1_795_770_000.0 + t))
    findings = build_findings(JournalRead("j.jsonl", tuple(events), torn=False), "0" * 64)
    md = render_markdown(findings)
    json.dumps(render_json(findings), allow_nan=False)
    json.dumps(render_grafana_annotations(findings), allow_nan=False)
    for block in _mermaid_blocks(md):
        assert_well_formed_xychart(block)


# --- rendered by a real CommonMark parser -------------------------------------------------

SECTIONS = [
    "Summary",
    "Participants",
    "Scenario",
    "Blast radius",
    "Abort criteria",
    "Timeline",
    "Steady state",
    "Key durations",
    "Revert verification",
    "Observations",
    "Action items",
    "Appendix",
]


@pytest.mark.parametrize("name", NAMES)
def test_rendered_markdown_has_only_our_structure(name: str) -> None:
    from markdown_it import MarkdownIt

    findings = _findings(name)
    tokens = MarkdownIt("commonmark").enable("table").parse(render_markdown(findings))
    headings = [
        (tokens[i].tag, tokens[i + 1].content)
        for i, t in enumerate(tokens)
        if t.type == "heading_open"
    ]
    probes = [("h3", p.name) for p in findings.probes]
    observations = [("h3", t) for t in ("Went well", "Went wrong", "Where we got lucky")]
    sections = SECTIONS if findings.ladder is None else ["Summary", "Ladder", *SECTIONS[1:]]
    expected = [("h1", findings.title)] + [("h2", s) for s in sections]
    # Headings come from us only: the sections, one per probe, the observation kinds.
    assert [h for h in headings if h[0] != "h3"] == expected
    assert [h for h in headings if h[0] == "h3"] == probes + observations
    assert not [t for t in tokens if t.type == "html_block"]
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert {c.content for c in inline if c.type == "html_inline"} <= {"<br>"}
    assert not [c for c in inline if c.type == "link_open"]


def test_a_session_stopped_by_preflight_says_so(tmp_path: Path) -> None:
    session = JOURNALS.Session(tmp_path / "pf.jsonl")
    JOURNALS._start(session)
    session.at(
        3,
        ev.PreflightChecked(host="checkout-3", check="sudo", ok=False, detail="password required"),
        ev.PhaseChanged(phase="done"),
        ev.SessionEnded(),
    )
    session.close()
    findings = build_findings(read_journal(tmp_path / "pf.jsonl"), "0" * 64)
    assert findings.verdict == "unfinished"
    assert findings.verdict_reason == (
        "stopped before any fault: preflight failed on checkout-3: sudo: password required"
    )
    assert (
        findings.summary[2]
        == "Stopped before any fault: 1 preflight check failed (see the timeline)."
    )
    assert all(r.status == "never_injected" for r in findings.reverts)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("reset the password for alice", "reset the password for alice"),
        ("sudo: password required", "sudo: password required"),
        ("use password=hunter2 now", "use password=******** now"),
        ("DB_PASSWORD: hunter2", "DB_PASSWORD: ********"),
        ("ran mysql --password hunter2 -h db", "ran mysql --password ******** -h db"),
        ("got 401 with Bearer abcdefgh12345", "got 401 with Bearer ********"),
        ("see https://ops:hunter2@grafana.local/d/1", "see https://ops:********@grafana.local/d/1"),
    ],
)
def test_prose_keeps_its_words_but_not_its_secrets(text: str, shown: str) -> None:
    from gameday.core.findings.text import redact_prose

    assert redact_prose(text) == shown


@pytest.mark.parametrize(
    "snapshot", [[], "text", {"probes": "x", "faults": [1, None]}, {"abort_when": [{"for": "2"}]}]
)
def test_a_scenario_snapshot_of_unexpected_shape_is_reported_not_fatal(snapshot: object) -> None:
    first = started(scenario=snapshot)
    findings = build_findings(JournalRead("j.jsonl", (first,), torn=False), "0" * 64)
    md = render_markdown(findings)
    assert "*Not recorded:*" in md or "no scenario snapshot" in md


def test_the_mean_of_huge_samples_does_not_overflow() -> None:
    from gameday.core.findings.model import Point
    from gameday.core.findings.steady import stats

    huge = [Point(float(i), 1.7e308, True, "monitor", "during") for i in range(3)]
    assert stats(huge).mean == pytest.approx(1.7e308)
