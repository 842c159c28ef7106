"""The JUnit report: what a CI system shows for a session, from the findings goldens' journals."""

from __future__ import annotations

import dataclasses
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gameday.core.findings.build import build_findings
from gameday.core.findings.junit import REVERTED_CASE, render_junit
from gameday.core.session.journal import read_journal

FINDINGS = Path(__file__).parent.parent / "golden" / "findings"
GOLDEN = Path(__file__).parent.parent / "golden" / "junit"
NAMES = ("held", "deviated", "aborted", "kill_switch", "crashed", "hostile_notes")


def _report(name: str) -> str:
    # The report names the journal as given; keep it independent of the checkout's location.
    read = dataclasses.replace(
        read_journal(FINDINGS / f"{name}.jsonl"), path=f"tests/golden/findings/{name}.jsonl"
    )
    return render_junit(build_findings(read, "0" * 64))


def _cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "")) == len(cases) == int(root.get("tests", ""))
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "")) == len(failed) == int(root.get("failures", ""))
    return {c.get("name", ""): c for c in cases}


def _failure(case: ET.Element) -> tuple[str, str]:
    failure = case.find("failure")
    assert failure is not None, f"{case.get('name')} passed"
    return failure.get("type", ""), failure.get("message", "")


@pytest.mark.parametrize("name", NAMES)
def test_report_matches_its_golden(name: str) -> None:
    text = _report(name)
    golden = GOLDEN / f"{name}.xml"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_a_held_session_passes_one_case_per_probe_and_the_revert_case() -> None:
    cases = _cases(_report("held"))
    assert list(cases) == [
        "preflight",
        "steady state: error_rate ≤ 1%",
        "steady state: p99_latency ≤ 500 ms",
        "experiment ran to its end",
        REVERTED_CASE,
    ]
    assert all(c.find("failure") is None and c.find("skipped") is None for c in cases.values())


def test_a_breach_fails_its_probe_with_when_and_how_far() -> None:
    cases = _cases(_report("deviated"))
    kind, message = _failure(cases["steady state: error_rate ≤ 1%"])
    assert kind == "breach"
    assert message.startswith("error_rate left ≤ 1%:") and "above 1% at T+" in message
    assert cases["steady state: p99_latency ≤ 500 ms"].find("failure") is None


def test_an_abort_fails_the_run_to_the_end_case_with_the_rule() -> None:
    kind, message = _failure(_cases(_report("aborted"))["experiment ran to its end"])
    assert kind == "aborted" and "error_rate above 5 for 2" in message


def test_an_unconfirmed_revert_fails_with_the_host_and_what_to_run() -> None:
    cases = _cases(_report("kill_switch"))
    kind, message = _failure(cases[REVERTED_CASE])
    assert kind == "revert_unconfirmed" and "checkout-3/" in message
    detail = cases[REVERTED_CASE].findtext("failure") or ""
    assert "run:" in detail
    assert "kill switch pulled" in _failure(cases["experiment ran to its end"])[1]


def test_a_crashed_session_says_it_did_not_finish() -> None:
    kind, _ = _failure(_cases(_report("crashed"))["experiment ran to its end"])
    assert kind == "interrupted"


def test_hostile_text_stays_inside_attributes_and_secrets_stay_masked() -> None:
    text = _report("hostile_notes")
    ET.fromstring(text)  # still one well-formed document
    journal = (FINDINGS / "hostile_notes.jsonl").read_text()
    for secret in ("hunter2", "s3cr3t"):
        if secret in journal:
            assert secret not in text


def test_a_failed_preflight_fails_its_case_and_skips_the_probes(tmp_path: Path) -> None:
    from gameday.core.session import events as ev
    from gameday.core.session.journal import JournalWriter

    path = tmp_path / "pf.jsonl"
    writer = JournalWriter(path, clock=iter(range(1000, 1100)).__next__)
    for event in (
        ev.SessionStarted(
            session_id="pf",
            scenario_id="web-cpu",
            scenario_title="Web CPU",
            scenario_file="/s.yaml",
            scenario_sha256="0" * 64,
            hypothesis="p99 holds",
            inventory_file="/i.yaml",
            scenario={"steady_state": {"probes": [{"name": "p99", "max": 300, "unit": "ms"}]}},
        ),
        ev.PreflightChecked(host="web-1", check="connect", ok=False, detail="unreachable"),
        ev.PhaseChanged(phase="done"),
        ev.SessionEnded(),
    ):
        writer.append(event)
    writer.close()

    cases = _cases(render_junit(build_findings(read_journal(path), "0" * 64)))

    kind, _ = _failure(cases["preflight"])
    assert kind == "preflight" and "web-1" in (cases["preflight"].findtext("failure") or "")
    skipped = cases["steady state: p99 ≤ 300 ms"].find("skipped")
    assert skipped is not None and "nothing was injected" in skipped.get("message", "")
    assert cases[REVERTED_CASE].find("failure") is None
