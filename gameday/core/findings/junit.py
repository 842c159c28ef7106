"""The session as a JUnit XML report, for CI systems that display test results natively.

A projection of the findings (so of the journal): one test suite, the scenario; test cases in a
fixed order, so that a pipeline's history compares run with run:

- `preflight`: every host reachable and capable (a failure means nothing was touched);
- one per probe: its hypothesis (`p99_latency ≤ 300 ms`) held during the session — a breach is
  a failure with when, how far and whether it came back; a probe without any data fails too,
  since its hypothesis could not be checked;
- `experiment ran to its end`: no abort rule fired and the kill switch was not pulled;
- `every fault reverted and verified`: an unconfirmed or missing revert is a failure naming the
  host and fault, with what to run.

Texts come from the findings, where secrets are already masked.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from gameday.core.findings.model import Findings, ProbeFindings, RevertCheck
from gameday.core.findings.text import number, offset, utc_iso

REVERTED_CASE = "every fault reverted and verified"
RAN_TO_END_CASE = "experiment ran to its end"
PREFLIGHT_CASE = "preflight"
# XML 1.0 cannot carry these at all, escaped or not: a note or host message is cleaned first.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Case:
    name: str
    failure: str = ""
    """Empty: passed. Else the failure's one-line message."""
    failure_type: str = ""
    detail: str = ""
    """The failure's body: every occurrence, one a line."""
    skipped: str = ""
    """Why the case did not run (after a failed preflight)."""
    seconds: float = 0.0


def junit_cases(findings: Findings) -> list[Case]:
    """The test cases of a session, in report order (see the module docstring)."""
    preflight = _preflight_case(findings)
    if preflight.failure:
        why = "preflight failed: nothing was injected"
        cases = [Case(_probe_name(p), skipped=why) for p in findings.probes]
        return [preflight, *cases, Case(RAN_TO_END_CASE, skipped=why), _reverted_case(findings)]
    window = findings.fault_window
    seconds = window[1] - window[0] if window else 0.0
    cases = [_probe_case(findings, p, seconds) for p in findings.probes]
    return [preflight, *cases, _ran_to_end_case(findings), _reverted_case(findings)]


def render_junit(findings: Findings) -> str:
    """The JUnit XML document (UTF-8 declaration, `<testsuites>` root)."""
    cases = junit_cases(findings)
    suite_name = findings.scenario.id or "gameday"
    failures = sum(1 for c in cases if c.failure)
    skipped = sum(1 for c in cases if c.skipped)
    total = f"{findings.duration or 0.0:.3f}"
    root = ET.Element(
        "testsuites",
        name="gameday",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=total,
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=_xml(suite_name),
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=total,
        timestamp=utc_iso(findings.started_at).removesuffix("Z") if findings.started_at else "",
    )
    _properties(suite, findings)
    for case in cases:
        _case(suite, case, f"gameday.{suite_name}")
    out = ET.SubElement(suite, "system-out")
    out.text = _xml(f"verdict: {findings.verdict} — {findings.verdict_reason}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _properties(suite: ET.Element, findings: Findings) -> None:
    properties = ET.SubElement(suite, "properties")
    values = (
        ("session_id", findings.appendix.session_id),
        ("scenario", findings.scenario.title),
        ("hypothesis", findings.scenario.hypothesis),
        ("verdict", findings.verdict),
        ("environment", findings.environment),
        ("journal", findings.appendix.journal_path),
        *((f"participant.{p.role or 'participant'}", p.name) for p in findings.participants),
    )
    for name, value in values:
        if value:
            ET.SubElement(properties, "property", name=_xml(name), value=_xml(value))


def _case(suite: ET.Element, case: Case, classname: str) -> None:
    element = ET.SubElement(
        suite,
        "testcase",
        classname=_xml(classname),
        name=_xml(case.name),
        time=f"{case.seconds:.3f}",
    )
    if case.failure:
        failure = ET.SubElement(
            element, "failure", message=_xml(case.failure), type=_xml(case.failure_type)
        )
        failure.text = _xml(case.detail or case.failure)
    elif case.skipped:
        ET.SubElement(element, "skipped", message=_xml(case.skipped))


def _preflight_case(findings: Findings) -> Case:
    if findings.verdict != "unfinished" or findings.fault_window is not None:
        return Case(PREFLIGHT_CASE)
    if not findings.finished:
        return Case(PREFLIGHT_CASE)  # a crash, not a refusal: the other cases say what is known
    return Case(
        PREFLIGHT_CASE,
        failure="preflight failed: nothing was touched",
        failure_type="preflight",
        detail=findings.verdict_reason,
    )


def _probe_name(probe: ProbeFindings) -> str:
    return f"steady state: {probe.name} {probe.threshold}"


def _probe_case(findings: Findings, probe: ProbeFindings, seconds: float) -> Case:
    name = _probe_name(probe)
    start = findings.started_at or 0.0
    if probe.breaches:
        lines = [
            f"{number(b.value, probe.unit)} {b.direction} {number(b.bound, probe.unit)} at "
            f"{offset(b.at - start)}"
            + (f", back at {offset(b.back_at - start)}" if b.back_at else ", did not come back")
            for b in probe.breaches
        ]
        noun = "breach" if len(lines) == 1 else "breaches"
        return Case(
            name,
            failure=f"{probe.name} left {probe.threshold}: {len(lines)} {noun}, first {lines[0]}",
            failure_type="breach",
            detail="\n".join(lines),
            seconds=seconds,
        )
    measured = probe.before.samples + probe.during.samples + probe.after.samples
    if measured == 0 and probe.points:
        return Case(
            name,
            failure=f"{probe.name} returned no data: the hypothesis could not be checked",
            failure_type="no_data",
            seconds=seconds,
        )
    return Case(name, seconds=seconds)


def _ran_to_end_case(findings: Findings) -> Case:
    aborts = findings.aborts
    lines = [
        f"{offset(f.at - (findings.started_at or f.at))} abort rule {f.rule}: {f.reason}"
        for f in aborts.fired
    ]
    kill = aborts.kill_switch
    if kill is not None:
        by = f" by {kill.actor}" if kill.actor and kill.actor != "system" else ""
        reason = f": {kill.reason}" if kill.reason else ""
        lines.append(
            f"{offset(kill.at - (findings.started_at or kill.at))} kill switch pulled "
            f"({kill.source}){by}{reason}"
        )
    if not lines:
        if not findings.finished:
            return Case(
                RAN_TO_END_CASE,
                failure="the session did not finish (its journal stops before the end)",
                failure_type="interrupted",
                detail=findings.verdict_reason,
            )
        return Case(RAN_TO_END_CASE)
    return Case(
        RAN_TO_END_CASE,
        failure="aborted: " + lines[0].split(" ", 1)[1],
        failure_type="aborted",
        detail="\n".join(lines),
    )


def _reverted_case(findings: Findings) -> Case:
    left = [r for r in findings.reverts if r.status in ("unconfirmed", "not_reverted")]
    if not left:
        return Case(REVERTED_CASE)
    return Case(
        REVERTED_CASE,
        failure="not confirmed reverted: " + ", ".join(f"{r.host}/{r.fault_id}" for r in left),
        failure_type="revert_unconfirmed",
        detail="\n".join(_revert_line(r) for r in left),
    )


def _revert_line(check: RevertCheck) -> str:
    what = "not confirmed" if check.status == "unconfirmed" else "not reverted"
    todo = f"; run: {' && '.join(check.todo)}" if check.todo else ""
    detail = f" ({check.detail})" if check.detail else ""
    return f"{check.host}: {check.kind} {check.fault_id} {what}{detail}{todo}"


def _xml(text: str) -> str:
    return _NOT_XML.sub("?", text)
