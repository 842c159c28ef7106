"""Preflight only: every capability check and one baseline sample, and nothing else."""

from __future__ import annotations

from gameday.core.plan import build_plan
from gameday.engine.preflight import check_only, result_line, summary_line
from tests.unit.engine_fakes import FakeHost, FakeSource
from tests.unit.test_session import _inventory, _scenario


def test_preflight_only_checks_every_target_and_probe_and_arms_nothing() -> None:
    plan = build_plan(_scenario(faults=2), _inventory())
    hosts = {name: FakeHost(name) for name in plan.selection.targets}
    source = FakeSource("errors", [0.2])
    report = check_only(plan, hosts, {"errors": source})
    assert report.ok
    assert {r.subject for r in report.results} == {*plan.selection.targets, "probe errors"}
    assert all(step == "check" for host in hosts.values() for step, _ in host.calls)
    assert all(len(host.calls) == 2 for host in hosts.values())  # both faults checked
    assert source.count == 1
    assert not any(host.armed or host.active for host in hosts.values())
    assert "all" in summary_line(report) and "nothing injected" in summary_line(report)


def test_preflight_only_says_per_host_and_probe_why_not() -> None:
    plan = build_plan(_scenario(), _inventory())
    first, *others = plan.selection.targets
    hosts = {name: FakeHost(name) for name in others}
    hosts[others[0]].fail["check"] = "stress-ng: not found"
    report = check_only(
        plan, hosts, {"errors": FakeSource("errors", [None])}, unreachable={first: "timed out"}
    )
    assert not report.ok
    lines = [result_line(r) for r in report.failures]
    assert f"FAIL  {first}  connect: timed out" in lines
    assert any(others[0] in line and "stress-ng: not found" in line for line in lines)
    assert "FAIL  probe errors  baseline: no data: empty result" in lines
