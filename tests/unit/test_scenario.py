"""The scenario loader: what an author writes is what gameday reads, and every mistake is a
located line."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gameday.core.formats.scenario import NO_DURATION, Scenario, load_scenario
from gameday.core.units import format_duration
from gameday.errors import InputError, InputErrors

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"

MINIMAL = """\
id: minimal
targets:
  select: {hosts: [web-1]}
steady_state:
  probes:
    - {name: up, prometheus: "min(up)", min: 1}
faults:
  - kind: cpu_stress
schedule:
  duration: 1m
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def errors_of(path: Path) -> list[InputError]:
    with pytest.raises((InputError, InputErrors)) as caught:
        load_scenario(path)
    exc = caught.value
    if isinstance(exc, InputErrors):
        return list(exc.errors)
    assert isinstance(exc, InputError)
    return [exc]


def one_error(path: Path) -> InputError:
    errors = errors_of(path)
    assert len(errors) == 1, [e.message for e in errors]
    return errors[0]


def with_lines(replacements: dict[str, str], base: str = MINIMAL) -> str:
    """MINIMAL with whole lines swapped: {'  duration: 1m': '  duration: 25h'}."""
    text = base
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


# --- what a valid file becomes ---------------------------------------------------------------
def test_full_fixture_reads_every_key() -> None:
    s = load_scenario(FIXTURES / "full.yaml")
    assert s.id == "checkout-node-partition"
    assert s.title == "Checkout survives losing one node"
    assert s.description.startswith("The checkout service")
    assert "error rate stays under 1%" in s.hypothesis
    t = s.targets
    assert dict(t.tags) == {"role": "web", "env": "staging"}
    assert t.groups == ("frontend",)
    assert t.exclude == ("web-1",)
    assert (t.percentage, t.count, t.max_concurrent, t.seed) == (50, None, 1, 7)
    assert s.steady_state.interval == 2.0
    probes = {p.name: p for p in s.steady_state.probes}
    assert [p.name for p in s.steady_state.probes] == [
        "error_rate",
        "p99_latency",
        "homepage",
        "homepage_errors",
        "queue_depth",
        "workers",
        "console_cpu",
    ]
    assert probes["error_rate"].kind == "prometheus"
    assert probes["error_rate"].query.startswith("100 * sum(rate(")
    assert (probes["error_rate"].max, probes["error_rate"].unit) == (1, "%")
    home = probes["homepage"]
    assert (home.kind, home.url, home.timeout) == ("http", "http://shop.internal/health", 2.0)
    assert (home.expect_status, home.body_contains, home.requests) == ((200, 204), "ok", 5)
    assert (home.measure, home.max, home.unit) == ("latency_p95", 300.0, "ms")
    errors = probes["homepage_errors"]
    assert (errors.url, errors.measure, errors.max, errors.unit, errors.timeout) == (
        "https://shop.internal/",
        "error_ratio",
        5,
        "%",
        5.0,
    )
    queue = probes["queue_depth"]
    assert (queue.kind, queue.host, queue.query, queue.timeout) == (
        "command",
        "web-2",
        "cat /var/run/queue-depth",
        3.0,
    )
    assert (probes["workers"].host, probes["workers"].query) == ("web-3", "pgrep -c worker")
    assert (probes["console_cpu"].query, probes["console_cpu"].unit) == ("cpu", "%")
    assert [f.kind for f in s.faults] == ["network_partition"]
    assert (s.schedule.warmup, s.schedule.duration, s.schedule.cooldown) == (30, 300, 60)
    rules = s.abort_when
    assert (rules[0].probe, rules[0].above, rules[0].for_samples) == ("error_rate", 5, 2)
    assert (rules[1].probe, rules[1].below, rules[1].for_samples) == ("workers", 1, 1)
    assert (rules[2].probe, rules[2].no_data) == (None, 3)
    assert (rules[3].probe, rules[3].no_data) == ("error_rate", 5)
    assert rules[0].line == 48
    back = s.rollback
    assert (back[0].name, back[0].host, back[0].required, back[0].timeout) == (
        "restart checkout",
        None,
        False,
        60.0,
    )
    assert (back[1].host, back[1].required, back[1].timeout) == ("web-2", True, 30.0)


def test_minimal_scenario_gets_documented_defaults(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, MINIMAL))
    assert s.title == "minimal"
    assert (s.description, s.hypothesis) == ("", "")
    assert s.steady_state.interval == 5.0
    assert (s.schedule.warmup, s.schedule.cooldown) == (0, 0)
    assert (s.abort_when, s.rollback) == ((), ())
    t = s.targets
    assert (t.percentage, t.count, t.max_concurrent, t.seed, t.exclude) == (
        None,
        None,
        None,
        None,
        (),
    )


def test_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    assert load_scenario(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_scenario_is_frozen(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, MINIMAL))
    with pytest.raises(AttributeError):
        s.id = "other"  # type: ignore[misc]
    assert isinstance(s, Scenario)


def test_select_all_means_no_condition(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, with_lines({"  select: {hosts: [web-1]}": "  select: all"})))
    assert (dict(s.targets.tags), s.targets.groups, s.targets.hosts) == ({}, (), ())


def test_percentage_and_count_may_be_combined(tmp_path: Path) -> None:
    text = with_lines({"  select: {hosts: [web-1]}": "  select: all\n  percentage: 50\n  count: 2"})
    targets = load_scenario(write(tmp_path, text)).targets
    assert (targets.percentage, targets.count) == (50, 2)


@pytest.mark.parametrize("written", ["34", "34%", "34.5", "100"])
def test_percentage_accepts_a_number_or_a_percent_sign(tmp_path: Path, written: str) -> None:
    text = with_lines({"  select: {hosts: [web-1]}": f"  select: all\n  percentage: {written}"})
    assert load_scenario(write(tmp_path, text)).targets.percentage == float(written.rstrip("%"))


# --- the duration rule -----------------------------------------------------------------------
def test_missing_duration_is_refused_with_the_reason(tmp_path: Path) -> None:
    error = one_error(write(tmp_path, with_lines({"  duration: 1m": "  warmup: 10s"})))
    assert error.field == "schedule.duration"
    assert error.line == 10  # the schedule block
    assert NO_DURATION in error.message
    assert "open-ended" in error.message


def test_missing_schedule_is_a_missing_duration(tmp_path: Path) -> None:
    error = one_error(write(tmp_path, with_lines({"schedule:\n  duration: 1m\n": ""})))
    assert (error.field, error.problem) == ("schedule.duration", NO_DURATION)


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        ("  duration: 25h", "schedule.duration", "at most"),
        ("  duration: 0s", "schedule.duration", "at least"),
        ("  duration: 30", "schedule.duration", "no unit"),
        ("  duration: soon", "schedule.duration", "not a duration"),
        ("  duration: 1m\n  warmup: 2h", "schedule.warmup", "at most"),
        ("  duration: 1m\n  cooldown: -1s", "schedule.cooldown", "not a duration"),
        ("  duration: 1m\n  pause: 1s", "schedule.pause", "unknown key"),
    ],
)
def test_schedule_bounds(tmp_path: Path, line: str, field: str, problem: str) -> None:
    error = one_error(write(tmp_path, with_lines({"  duration: 1m": line})))
    assert (error.field, error.line) == (field, 10 + line.count("\n"))
    assert problem in error.problem


def test_interval_longer_than_duration_is_refused(tmp_path: Path) -> None:
    text = with_lines(
        {"  duration: 1m": "  duration: 10s", "  probes:": "  interval: 30s\n  probes:"}
    )
    error = one_error(write(tmp_path, text))
    assert error.field == "schedule.duration"
    assert "no sample would be taken" in error.problem


@pytest.mark.parametrize("interval", ["500ms", "0s", "2h"])
def test_interval_bounds(tmp_path: Path, interval: str) -> None:
    text = with_lines({"  probes:": f"  interval: {interval}\n  probes:"})
    assert one_error(write(tmp_path, text)).field == "steady_state.interval"


# --- top level and targets -------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["Checkout", "-lead", "has space", "a_b", "x" * 65, "'é'"])
def test_bad_ids_are_refused(tmp_path: Path, bad: str) -> None:
    error = one_error(write(tmp_path, with_lines({"id: minimal": f"id: {bad}"})))
    assert (error.field, error.line) == ("id", 1)


def test_unknown_keys_are_all_reported_with_a_suggestion(tmp_path: Path) -> None:
    text = with_lines({"id: minimal": "id: minimal\ntitel: x\nfualts: []"})
    errors = errors_of(write(tmp_path, text))
    assert [(e.line, e.field) for e in errors] == [(2, "titel"), (3, "fualts")]
    assert "did you mean 'title'?" in errors[0].problem
    assert "did you mean 'faults'?" in errors[1].problem


@pytest.mark.parametrize(
    ("targets", "field", "problem"),
    [
        ("  select: {}", "targets.select", "select names no host"),
        ("  select: everything", "targets.select", "or the word `all`"),
        ("  select: {hosts: [web-1]}\n  percentage: 0", "targets.percentage", "more than 0"),
        ("  select: {hosts: [web-1]}\n  percentage: 101", "targets.percentage", "at most 100"),
        ("  select: {hosts: [web-1]}\n  percentage: lots", "targets.percentage", "number"),
        ("  select: {hosts: [web-1]}\n  count: 0", "targets.count", "at least 1"),
        ("  select: {hosts: [web-1]}\n  count: 1.5", "targets.count", "whole number"),
        ("  select: {hosts: [web-1]}\n  max_concurrent: 0", "targets.max_concurrent", "at least"),
        ("  select: {hosts: [web-1]}\n  seed: -1", "targets.seed", "at least 0"),
        ("  select: {hosts: [web-1], role: web}", "targets.select.role", "unknown key"),
        ("  select: {tags: [web]}", "targets.select.tags", "expected a mapping"),
        ("  exclude: [web-1]", "targets.select", "is required"),
    ],
)
def test_target_rules(tmp_path: Path, targets: str, field: str, problem: str) -> None:
    error = one_error(write(tmp_path, with_lines({"  select: {hosts: [web-1]}": targets})))
    assert error.field == field
    assert problem in error.problem


def test_missing_required_sections_are_each_reported(tmp_path: Path) -> None:
    errors = errors_of(write(tmp_path, "title: nothing else\n"))
    assert [e.field for e in errors] == [
        "faults",
        "id",
        "schedule.duration",
        "steady_state",
        "targets",
    ]


def test_no_fault_is_refused(tmp_path: Path) -> None:
    error = one_error(write(tmp_path, with_lines({"  - kind: cpu_stress": "  []"})))
    assert error.field == "faults"
    assert "at least one fault" in error.problem


def test_fault_errors_are_located_inside_the_fault(tmp_path: Path) -> None:
    error = one_error(write(tmp_path, with_lines({"  - kind: cpu_stress": "  - kind: meteor"})))
    assert error.field.startswith("faults[0]")
    assert error.line == 8


# --- probes ----------------------------------------------------------------------------------
PROBE_LINE = '    - {name: up, prometheus: "min(up)", min: 1}'


@pytest.mark.parametrize(
    ("probe", "field", "problem"),
    [
        ("    - {name: up, prometheus: 'min(up)'}", "steady_state.probes[0]", "needs min or max"),
        (
            "    - {name: up, prometheus: 'up', min: 2, max: 1}",
            "steady_state.probes[0].min",
            "greater than max",
        ),
        ("    - {name: up, min: 1}", "steady_state.probes[0]", "needs one of prometheus"),
        (
            "    - {name: up, prometheus: up, system: cpu, max: 1}",
            "steady_state.probes[0]",
            "keep one",
        ),
        ("    - {name: 1up, prometheus: up, max: 1}", "steady_state.probes[0].name", "not a probe"),
        ("    - {prometheus: up, max: 1}", "steady_state.probes[0].name", "is required"),
        ("    - {name: up, prometheus: 'sum(rate(x[5m])', max: 1}", "", "unclosed '('"),
        ("    - {name: up, prometheus: 'sum(x{a=\"b)', max: 1}", "", 'unclosed " string'),
        ("    - {name: up, prometheus: 'sum(x))', max: 1}", "", "unmatched ')'"),
        ("    - {name: up, prometheus: up, max: 1, limit: 3}", ".limit", "unknown key"),
        ("    - {name: up, prometheus: up, max: high}", ".max", "expected a number"),
        ("    - {name: up, http: 'ftp://x/', max: 1}", ".http", "not an http"),
        ("    - {name: up, http: 'localhost:80', max: 1}", ".http", "not an http"),
        ("    - {name: up, http: 'https://u:pw@a/', max: 1}", ".http", "credentials"),
        ("    - {name: up, http: {timeout: 1s}, max: 1}", ".http.url", "is required"),
        ("    - {name: up, http: {url: 'http://a/', timeout: 2m}, max: 1}", ".timeout", "at most"),
        ("    - {name: up, http: {url: 'http://a/', expect_status: 99}, max: 1}", "status", "at"),
        ("    - {name: up, http: {url: 'http://a/', requests: 0}, max: 1}", ".requests", "least"),
        ("    - {name: up, http: 'http://a/', measure: p99, max: 1}", ".measure", "not one of"),
        ("    - {name: up, http: 'http://a/', measure: error_ratio, max: 101}", ".max", "0 to 100"),
        ("    - {name: up, http: 'http://a/', max: 5, unit: s}", ".unit", "measured in ms"),
        (
            "    - {name: up, http: 'http://a/', measure: error_ratio, max: 5, unit: ratio}",
            ".unit",
            "percentage",
        ),
        ("    - {name: up, http: 'http://a/', max_latency: 1s, max: 5}", ".max", "max_latency"),
        ("    - {name: up, http: 'http://a/', max_latency: 300}", ".max_latency", "no unit"),
        ("    - {name: up, command: 'echo 1', max: 1}", ".host", "inventory host"),
        ("    - {name: up, command: {run: 'echo 1'}, max: 1}", ".command.host", "is required"),
        ("    - {name: up, command: {host: a, run: 'x'}, host: a, max: 1}", ".host", "already"),
        ("    - {name: up, system: disk, max: 1}", ".system", "cpu, memory, load"),
        ("    - {name: up, system: memory, max: 120}", ".max", "percentage from 0 to 100"),
        ("    - {name: up, prometheus: up, max: 1, unit: very long unit name}", ".unit", "short"),
    ],
)
def test_probe_rules(tmp_path: Path, probe: str, field: str, problem: str) -> None:
    error = one_error(write(tmp_path, with_lines({PROBE_LINE: probe})))
    assert error.line == 6
    assert error.field.startswith("steady_state.probes[0]")
    assert field in error.field
    assert problem in error.problem


@pytest.mark.parametrize(
    "query",
    [
        'sum(rate(x{path="/a(b]"}[5m]))',
        "sum(rate(x{path='/{'}[5m]))",
        r"sum(x{code=~`5\d+`})",
        r'sum(x{path="say \"(\""})',
        "sum(rate(x[5m])) # per second (not per minute",
    ],
)
def test_brackets_inside_strings_and_comments_do_not_count(tmp_path: Path, query: str) -> None:
    text = with_lines(
        {PROBE_LINE: "    - name: q\n      max: 1\n      prometheus: |\n        " + query}
    )
    assert load_scenario(write(tmp_path, text)).steady_state.probes[0].query.strip() == query


def test_probe_names_are_unique(tmp_path: Path) -> None:
    text = with_lines({PROBE_LINE: PROBE_LINE + "\n" + PROBE_LINE})
    error = one_error(write(tmp_path, text))
    assert (error.field, error.line) == ("steady_state.probes[1].name", 7)
    assert "already used at line 6" in error.problem


def test_empty_probe_list_is_refused(tmp_path: Path) -> None:
    error = one_error(write(tmp_path, with_lines({PROBE_LINE: "    []"})))
    assert error.field == "steady_state.probes"


def test_http_probe_without_threshold_must_say_what_it_measures(tmp_path: Path) -> None:
    error = one_error(
        write(tmp_path, with_lines({PROBE_LINE: "    - {name: h, http: 'http://a/'}"}))
    )
    assert "needs min or max" in error.problem


def test_a_probe_without_bounds_is_allowed_when_an_abort_rule_watches_it(tmp_path: Path) -> None:
    text = with_lines({PROBE_LINE: PROBE_LINE + "\n    - {name: lag, prometheus: 'max(lag)'}"})
    watched = text + "abort_when:\n  - {probe: lag, above: 30, for: 2}\n"
    probe = load_scenario(write(tmp_path, watched)).steady_state.probes[1]
    assert (probe.name, probe.min, probe.max) == ("lag", None, None)
    only_gaps = text + "abort_when:\n  - {probe: lag, no_data: 2}\n"
    error = one_error(write(tmp_path, only_gaps))
    assert (error.field, error.line) == ("steady_state.probes[1]", 7)
    assert "or an abort_when rule with above/below" in error.problem


def test_load_probe_has_no_percent_bound(tmp_path: Path) -> None:
    text = with_lines({PROBE_LINE: "    - {name: l, system: load, max: 400}"})
    probe = load_scenario(write(tmp_path, text)).steady_state.probes[0]
    assert (probe.query, probe.max, probe.unit) == ("load", 400, "")


# --- abort rules and rollback ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "field", "problem"),
    [
        ("{probe: down, above: 1}", "abort_when[0].probe", "no probe named 'down'"),
        ("{probe: up, above: 1, below: 0}", "abort_when[0].below", "one condition per rule"),
        ("{probe: up}", "abort_when[0]", "needs above, below or no_data"),
        ("{above: 1}", "abort_when[0].probe", "is required"),
        ("{probe: up, above: 1, for: 0}", "abort_when[0].for", "at least 1"),
        ("{no_data: 0}", "abort_when[0].no_data", "at least 1"),
        ("{no_data: 3, for: 2}", "abort_when[0].for", "remove for"),
        ("{probe: up, above: lots}", "abort_when[0].above", "expected a number"),
        ("{probe: up, above: 1, when: now}", "abort_when[0].when", "unknown key"),
    ],
)
def test_abort_rules(tmp_path: Path, rule: str, field: str, problem: str) -> None:
    text = MINIMAL + f"abort_when:\n  - {rule}\n"
    error = one_error(write(tmp_path, text))
    assert (error.field, error.line) == (field, 12)
    assert problem in error.problem


def test_abort_rule_naming_a_broken_probe_is_not_a_second_error(tmp_path: Path) -> None:
    text = with_lines({PROBE_LINE: "    - {name: up, prometheus: 'min(up'}"}) + (
        "abort_when:\n  - {probe: up, below: 1}\n"
    )
    assert one_error(write(tmp_path, text)).field == "steady_state.probes[0].prometheus"


@pytest.mark.parametrize(
    ("step", "field", "problem"),
    [
        ("{name: x}", "rollback[0].run", "is required"),
        ("{run: x}", "rollback[0].name", "is required"),
        ("{name: x, run: y, required: maybe}", "rollback[0].required", "true or false"),
        ("{name: x, run: y, timeout: 0s}", "rollback[0].timeout", "at least"),
        ("{name: x, run: y, host: 'two words'}", "rollback[0].host", "not a host name"),
        ("{name: x, run: y, sudo: true}", "rollback[0].sudo", "unknown key"),
    ],
)
def test_rollback_rules(tmp_path: Path, step: str, field: str, problem: str) -> None:
    error = one_error(write(tmp_path, MINIMAL + f"rollback:\n  - {step}\n"))
    assert (error.field, error.line) == (field, 12)
    assert problem in error.problem


# --- every problem of a file at once ---------------------------------------------------------
def test_all_errors_of_a_file_are_reported_in_line_order(tmp_path: Path) -> None:
    text = """\
    id: Bad
    targets:
      select: {hosts: [web-1]}
      count: 0
    steady_state:
      probes:
        - {name: up, prometheus: up}
    faults:
      - kind: cpu_stress
    schedule: {warmup: 1s}
    abort_when:
      - {probe: nope, above: 1}
    """
    errors = errors_of(write(tmp_path, text))
    assert [(e.line, e.field) for e in errors] == [
        (1, "id"),
        (4, "targets.count"),
        (7, "steady_state.probes[0]"),
        (10, "schedule.duration"),
        (12, "abort_when[0].probe"),
    ]
    assert all(e.file == str(tmp_path / "s.yaml") for e in errors)


# --- whatever the bytes ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "file is empty"),
        (b"# only a comment\n", "file is empty"),
        (b"\x00\x01\x02junk", "binary data"),
        (b"\xff\xfe\xfa", "not valid UTF-8"),
        (b"id: [unclosed\n", "YAML syntax error"),
        (b"- a list\n- not a mapping\n", "expected a mapping"),
        (b"just text\n", "expected a mapping"),
        (b"id: x\nid: y\n", "appears twice"),
        (b"a: &x 1\nb: *x\n<<: {c: 1}\n", "merge keys"),
        (b"id: !vault x\n", "unsupported YAML tag"),
        (b"---\nid: a\n---\nid: b\n", "YAML"),
    ],
)
def test_broken_files_give_a_located_error(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    errors = errors_of(path)
    assert any(problem in e.message for e in errors), [e.message for e in errors]
    assert all(e.file == str(path) for e in errors)


def test_missing_file_and_directory_are_input_errors(tmp_path: Path) -> None:
    assert "cannot read" in one_error(tmp_path / "absent.yaml").problem
    assert "is a directory" in one_error(tmp_path).problem


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_give_input_errors_only(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "junk.yaml"
    path.write_bytes(data)
    with pytest.raises((InputError, InputErrors)):
        load_scenario(path)


_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _paths(doc: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


_FULL = yaml.safe_load((FIXTURES / "full.yaml").read_text())
_FULL_PATHS = _paths(_FULL)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(_FULL_PATHS), junk=_JUNK)
def test_any_value_anywhere_is_read_or_refused_cleanly(
    tmp_path: Path, where: tuple[object, ...], junk: object
) -> None:
    doc = yaml.safe_load((FIXTURES / "full.yaml").read_text())
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = junk
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc))
    try:
        load_scenario(path)
    except InputErrors as exc:
        assert exc.errors
        assert all(e.file == str(path) and e.line > 0 for e in exc.errors)
    except InputError as exc:
        assert exc.line > 0


# --- what is written is what is read, for any valid values -----------------------------------
_SECONDS = st.integers(min_value=1, max_value=24 * 3600)


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    duration=_SECONDS,
    warmup=st.integers(0, 3600),
    interval=st.integers(1, 3600),
    percentage=st.one_of(st.none(), st.integers(1, 100)),
    count=st.one_of(st.none(), st.integers(1, 1000)),
    low_high=st.tuples(st.floats(-1e6, 1e6), st.floats(0, 1e6)),
    rules=st.lists(
        st.tuples(st.sampled_from(["above", "below", "no_data"]), st.integers(1, 1000)),
        max_size=4,
    ),
)
def test_valid_values_are_read_back_exactly(
    tmp_path: Path,
    duration: int,
    warmup: int,
    interval: int,
    percentage: int | None,
    count: int | None,
    low_high: tuple[float, float],
    rules: list[tuple[str, int]],
) -> None:
    interval = min(interval, duration)
    low, span = low_high
    doc: dict[str, object] = {
        "id": "prop",
        "targets": {"select": "all"},
        "steady_state": {
            "interval": format_duration(interval),
            "probes": [{"name": "p", "prometheus": "sum(up)", "min": low, "max": low + span}],
        },
        "faults": [{"kind": "cpu_stress"}],
        "schedule": {"duration": format_duration(duration), "warmup": format_duration(warmup)},
        "abort_when": [
            {"probe": "p", kind: n} if kind == "no_data" else {"probe": "p", kind: n, "for": n}
            for kind, n in rules
        ],
    }
    targets = doc["targets"]
    assert isinstance(targets, dict)
    if percentage is not None:
        targets["percentage"] = percentage
    if count is not None:
        targets["count"] = count
    path = tmp_path / "prop.yaml"
    path.write_text(yaml.safe_dump(doc))
    s = load_scenario(path)
    assert (s.schedule.duration, s.schedule.warmup) == (duration, warmup)
    assert s.steady_state.interval == interval
    assert (s.targets.percentage, s.targets.count) == (percentage, count)
    assert (s.steady_state.probes[0].min, s.steady_state.probes[0].max) == (low, low + span)
    for rule, (kind, n) in zip(s.abort_when, rules, strict=True):
        if kind == "no_data":
            assert (rule.no_data, rule.above, rule.below) == (n, None, None)
        else:
            assert (getattr(rule, kind), rule.for_samples, rule.no_data) == (n, n, None)
