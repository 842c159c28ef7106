"""Builds one `MetricSource` per steady-state probe of a scenario: the composition of the
prometheus, http, command and system adapters.

Errors (raised before anything is sampled, so a session never starts half-blind):
- `InputError` for a probe that is wrong in itself (unknown measure or gauge, bad URL), naming
  the scenario file, the probe's line and field;
- `PlanError` for a probe the rest of the setup cannot serve: a prometheus probe without a
  `prometheus:` section in the inventory, a command probe without a host or whose host has no
  open connection.
"""

from __future__ import annotations

from collections.abc import Mapping

from gameday.adapters.command_probe import CommandSource
from gameday.adapters.http_probe import HttpSource
from gameday.adapters.prometheus import PrometheusSource
from gameday.adapters.system import SystemSource
from gameday.core.formats.inventory import Inventory, PrometheusConfig
from gameday.core.formats.probes import Probe
from gameday.core.formats.scenario import Scenario
from gameday.engine.ports import MetricSource, Transport
from gameday.errors import InputError, PlanError


def build_sources(
    scenario: Scenario,
    inventory: Inventory | None,
    transports: Mapping[str, Transport] | None,
) -> dict[str, MetricSource]:
    """One source per probe, keyed by probe name, in the scenario's order.

    `transports` maps host names to the session's open connections (only command probes use
    them; None when there are none). The caller owns the transports and closes the sources
    (`close_sources`). On an error every source already built is closed.
    """
    prometheus = inventory.prometheus if inventory is not None else None
    sources: dict[str, MetricSource] = {}
    try:
        for probe in scenario.steady_state.probes:
            sources[probe.name] = build_source(
                probe,
                prometheus=prometheus,
                transports=transports,
                scenario_file=scenario.file,
            )
    except BaseException:
        close_sources(sources)
        raise
    return sources


def build_source(
    probe: Probe,
    *,
    prometheus: PrometheusConfig | None = None,
    transports: Mapping[str, Transport] | None = None,
    scenario_file: str = "scenario",
) -> MetricSource:
    """The source for one probe (see the module docstring for what is raised)."""
    where = f"probe {probe.name!r} (line {probe.line})" if probe.line else f"probe {probe.name!r}"
    try:
        if probe.kind == "prometheus":
            if prometheus is None:
                raise PlanError(
                    f"{where} queries Prometheus, but the inventory has no `prometheus:` "
                    "section with its URL"
                )
            try:
                return PrometheusSource(probe, prometheus)
            except ValueError as exc:
                raise PlanError(f"{where}: {exc}") from None
        if probe.kind == "http":
            return HttpSource(probe)
        if probe.kind == "system":
            return SystemSource(probe)
        if probe.kind == "command":
            return CommandSource(probe, _transport_for(probe, where, transports))
    except ValueError as exc:
        field = f"steady_state.probes.{probe.name}"
        raise InputError(scenario_file, probe.line, field, str(exc)) from None
    raise InputError(
        scenario_file, probe.line, f"steady_state.probes.{probe.name}", f"unknown kind {probe.kind}"
    )


def close_sources(sources: Mapping[str, MetricSource]) -> None:
    """Close every source; never raises."""
    for source in sources.values():
        try:
            source.close()
        except Exception:  # one bad close must not keep the others open
            continue


def _transport_for(
    probe: Probe, where: str, transports: Mapping[str, Transport] | None
) -> Transport:
    if not probe.host:
        raise PlanError(f"{where} runs a command but names no `host:`")
    if transports is None or probe.host not in transports:
        raise PlanError(f"{where} runs on {probe.host}, but there is no connection to that host")
    return transports[probe.host]
