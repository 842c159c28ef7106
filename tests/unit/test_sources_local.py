"""The system and command sources, and the factory, on this machine (no network)."""

from __future__ import annotations

import os
import time

import pytest

from gameday.adapters.command_probe import CommandSource, parse_number
from gameday.adapters.local import LocalTransport
from gameday.adapters.sources import build_source, build_sources, close_sources
from gameday.adapters.system import SystemSource
from gameday.core.formats.inventory import Inventory, PrometheusConfig, Secret
from gameday.core.formats.probes import Probe
from gameday.core.formats.scenario import Scenario, Schedule, SteadyState, TargetSpec
from gameday.errors import InputError, PlanError

# -- system ------------------------------------------------------------------------------------


def _system(gauge: str) -> SystemSource:
    return SystemSource(Probe(name=gauge, kind="system", query=gauge))


def test_cpu_is_a_percentage() -> None:
    source = _system("cpu")
    readings = [source.sample() for _ in range(3)]
    for reading in readings:
        assert reading.value is not None
        assert 0.0 <= reading.value <= 100.0


def test_cpu_sees_a_busy_loop() -> None:
    source = _system("cpu")
    source.sample()
    end = time.monotonic() + 0.5
    while time.monotonic() < end:  # keep one CPU busy for half a second
        pass
    reading = source.sample()
    cpus = os.cpu_count() or 1
    assert reading.value is not None
    assert reading.value >= 100.0 / cpus * 0.5


def test_cpu_sample_does_not_block_for_long() -> None:
    source = _system("cpu")
    started = time.monotonic()
    source.sample()
    source.sample()
    assert time.monotonic() - started < 0.5


def test_memory_is_a_plausible_percentage() -> None:
    reading = _system("memory").sample()
    assert reading.value is not None
    assert 0.0 < reading.value < 100.0
    assert "GiB available" in reading.detail


def test_load_matches_the_kernel() -> None:
    reading = _system("load").sample()
    assert reading.value is not None
    assert reading.value >= 0.0
    assert reading.value == pytest.approx(os.getloadavg()[0], abs=0.5)


def test_unknown_gauge_is_refused() -> None:
    with pytest.raises(ValueError, match="disk"):
        _system("disk")


# -- command -----------------------------------------------------------------------------------


def _command(run: str, timeout: float = 2.0) -> CommandSource:
    probe = Probe(name="queue", kind="command", query=run, host="localhost", timeout=timeout)
    return CommandSource(probe, LocalTransport("localhost"))


def test_command_value_is_its_last_non_empty_line() -> None:
    reading = _command("echo starting; echo; echo '  42.5  '; echo").sample()
    assert reading.value == 42.5


def test_command_printing_text_is_no_data() -> None:
    reading = _command("echo 'queue depth: 42'").sample()
    assert reading.value is None
    assert reading.detail == "last line is not a number: 'queue depth: 42'"


def test_command_printing_nothing_is_no_data() -> None:
    reading = _command("true").sample()
    assert (reading.value, reading.detail) == (None, "command printed nothing")


def test_failing_command_is_no_data_with_its_stderr() -> None:
    reading = _command("echo 7; echo 'redis: connection refused' >&2; exit 3").sample()
    assert reading.value is None
    assert reading.detail == "localhost: exit status 3: redis: connection refused"


def test_slow_command_is_no_data_within_the_timeout() -> None:
    source = _command("sleep 5; echo 1", timeout=0.5)
    started = time.monotonic()
    reading = source.sample()
    elapsed = time.monotonic() - started
    assert reading.value is None
    assert "0.5s" in reading.detail
    assert elapsed < 0.5 + 0.5


def test_nan_and_inf_from_a_command_are_no_data() -> None:
    assert parse_number("nan\n").value is None
    assert parse_number("inf\n").detail == "+Inf"
    assert parse_number("-1e3\n").value == -1000.0


# -- the factory ---------------------------------------------------------------------------------


def _scenario(*probes: Probe) -> Scenario:
    return Scenario(
        file="s.yaml",
        sha256="0" * 64,
        id="s",
        title="t",
        description="",
        hypothesis="",
        targets=TargetSpec(),
        steady_state=SteadyState(interval=1.0, probes=probes),
        faults=(),
        schedule=Schedule(duration=60.0),
    )


def _inventory(prometheus: PrometheusConfig | None) -> Inventory:
    return Inventory(file="i.yaml", hosts={}, groups={}, prometheus=prometheus)


def test_factory_builds_one_source_per_probe_in_order() -> None:
    scenario = _scenario(
        Probe(name="cpu", kind="system", query="cpu"),
        Probe(name="errors", kind="prometheus", query="sum(up)"),
        Probe(name="home", kind="http", url="http://127.0.0.1:1/"),
        Probe(name="queue", kind="command", query="echo 1", host="web-1"),
    )
    config = PrometheusConfig(url="http://127.0.0.1:1", headers={"X-Token": Secret("abcd1234")})
    sources = build_sources(scenario, _inventory(config), {"web-1": LocalTransport("web-1")})
    try:
        assert list(sources) == ["cpu", "errors", "home", "queue"]
        assert sources["queue"].sample().value == 1.0
        assert "abcd1234" not in repr(sources)
    finally:
        close_sources(sources)


def test_prometheus_probe_without_inventory_prometheus_is_a_plan_error() -> None:
    scenario = _scenario(Probe(name="errors", kind="prometheus", query="up", line=12))
    with pytest.raises(PlanError, match=r"'errors' \(line 12\).*prometheus:"):
        build_sources(scenario, _inventory(None), None)


def test_command_probe_without_a_connection_is_a_plan_error() -> None:
    scenario = _scenario(Probe(name="queue", kind="command", query="echo 1", host="db-1"))
    with pytest.raises(PlanError, match="db-1"):
        build_sources(scenario, _inventory(None), {"web-1": LocalTransport("web-1")})
    with pytest.raises(PlanError, match="db-1"):
        build_sources(scenario, _inventory(None), None)


def test_bad_probe_is_an_input_error_with_file_and_line() -> None:
    probe = Probe(name="home", kind="http", url="http://x/", measure="p99", line=7)
    with pytest.raises(InputError) as caught:
        build_source(probe, scenario_file="s.yaml")
    assert caught.value.message.startswith("s.yaml:7: steady_state.probes.home: unknown measure")


def test_unusable_prometheus_url_is_a_plan_error_without_its_password() -> None:
    probe = Probe(name="errors", kind="prometheus", query="up")
    with pytest.raises(PlanError, match="prometheus url") as caught:
        build_source(probe, prometheus=PrometheusConfig(url="ftp://u:hunter22@prom/"))
    assert "hunter22" not in caught.value.message


def test_http_url_with_credentials_is_refused_without_echoing_them() -> None:
    probe = Probe(name="home", kind="http", url="http://admin:hunter22@web/health")
    with pytest.raises(InputError, match="credentials") as caught:
        build_source(probe)
    assert "hunter22" not in caught.value.message
