"""gameday's own inventory format, format detection, and the promise that no bytes at all
make the loader raise anything but a located InputError."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gameday.core.formats.inventory import Secret, check_address, check_prometheus_url
from gameday.core.formats.inventory_loader import load_inventory
from gameday.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventories"


def write(tmp_path: Path, text: str, name: str = "inventory.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str, name: str = "inventory.yaml") -> InputError:
    path = write(tmp_path, text, name)
    with pytest.raises(InputError) as info:
        load_inventory(path)
    assert info.value.file == str(path)
    return info.value


# --- the documented example ---------------------------------------------------------------


def test_example_inventory_reads_every_key() -> None:
    inv = load_inventory(FIXTURES / "gameday.yaml")
    assert inv.format == "gameday"
    assert list(inv.hosts) == ["web-1", "web-2", "web-3", "db-primary-1", "db-replica-1"]
    web2 = inv.hosts["web-2"]
    assert (web2.address, web2.port, web2.user) == ("10.0.0.12", 2222, "ops")
    assert dict(web2.tags) == {"role": "web", "env": "staging", "zone": "b"}
    assert web2.identity_file == "~/.ssh/id_ed25519"  # kept as written, expanded at use time
    assert inv.hosts["web-3"].sudo is True
    assert inv.hosts["web-1"].sudo is False
    assert inv.hosts["db-replica-1"].address == "fd00::21"
    assert inv.protected == frozenset({"db-primary-1"})
    assert inv.groups["frontend"] == ("web-1", "web-2", "web-3")
    assert inv.groups_of("web-1") == ("frontend",)
    assert inv.known_hosts == str(FIXTURES / "known_hosts")
    assert inv.prometheus is not None
    assert inv.prometheus.url == "http://127.0.0.1:9090"
    assert inv.prometheus.verify_tls is False
    assert inv.prometheus.headers["Authorization"].reveal() == "Bearer s3cr3t-token"


def test_prometheus_token_never_appears_when_printed() -> None:
    inv = load_inventory(FIXTURES / "gameday.yaml")
    assert "s3cr3t" not in repr(inv)
    assert "s3cr3t" not in str(inv.prometheus)
    assert repr(Secret("abc")) == "Secret('********')"


def test_defaults_apply_and_a_host_without_address_is_reached_by_its_name(tmp_path: Path) -> None:
    inv = load_inventory(
        write(
            tmp_path,
            "defaults: {user: ops, port: 2200, sudo: true}\n"
            "hosts:\n"
            "  app-1.internal:\n"
            "  app-2: {address: 10.1.0.2, user: root, sudo: false}\n",
        )
    )
    one, two = inv.hosts["app-1.internal"], inv.hosts["app-2"]
    assert (one.address, one.port, one.user, one.sudo) == ("app-1.internal", 2200, "ops", True)
    assert (two.address, two.port, two.user, two.sudo) == ("10.1.0.2", 2200, "root", False)
    assert one.identity_file is None
    assert inv.prometheus is None and inv.known_hosts is None and inv.protected == frozenset()


def test_known_hosts_is_resolved_next_to_the_inventory_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "site"
    sub.mkdir()
    path = write(sub, "known_hosts: keys/known_hosts\nhosts: {a: {address: 10.0.0.1}}\n")
    monkeypatch.chdir(tmp_path)
    assert load_inventory(os.path.relpath(path)).known_hosts == str(sub / "keys" / "known_hosts")
    absolute = write(tmp_path, "known_hosts: /etc/ssh/extra\nhosts: {a: }\n", "b.yaml")
    assert load_inventory(absolute).known_hosts == "/etc/ssh/extra"
    home = write(tmp_path, "known_hosts: ~/.ssh/known_hosts2\nhosts: {a: }\n", "c.yaml")
    assert load_inventory(home).known_hosts == "~/.ssh/known_hosts2"


def test_port_may_be_written_as_text(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, 'hosts: {a: {port: "2222"}}\n'))
    assert inv.hosts["a"].port == 2222


# --- located errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "field", "problem"),
    [
        ("hosts: {a: }\nhostz: {}\n", 2, "hostz", "unknown key"),
        ("hosts:\n  a: {address: 10.0.0.1, adress: x}\n", 2, "hosts.a.adress", "unknown key"),
        ("hosts:\n  a: {port: 0}\n", 2, "hosts.a.port", "out of range"),
        ("hosts:\n  a: {port: 65536}\n", 2, "hosts.a.port", "out of range"),
        ("hosts:\n  a: {port: ssh}\n", 2, "hosts.a.port", "not a port"),
        ("hosts:\n  a: {port: 22.5}\n", 2, "hosts.a.port", "not a port"),
        ("defaults: {port: -1}\nhosts: {a: }\n", 1, "defaults.port", "out of range"),
        ("hosts:\n  a: {address: -oProxyCommand=sh}\n", 2, "hosts.a.address", "not a valid"),
        ("hosts:\n  a: {address: 10.0.0.300}\n", 2, "hosts.a.address", "not a valid IP"),
        ("hosts:\n  a: {address: 'web 1'}\n", 2, "hosts.a.address", "not a valid"),
        ("hosts:\n  a: {address: 'web;reboot'}\n", 2, "hosts.a.address", "not a valid"),
        ("hosts:\n  a: {address: '[::1]'}\n", 2, "hosts.a.address", "without brackets"),
        ("hosts:\n  a: {address: 'fe80::zz'}\n", 2, "hosts.a.address", "not a valid IP"),
        ("hosts:\n  a: {address: ''}\n", 2, "hosts.a.address", "required"),
        ("hosts:\n  '-x': {address: 10.0.0.1}\n", 2, "hosts.-x", "not a valid"),
        ("hosts:\n  a: {}\n  a: {}\n", 3, "hosts.a", "appears twice"),
        ("hosts:\n  a: {user: 'root -oX'}\n", 2, "hosts.a.user", "not a valid user"),
        ("hosts:\n  a: {sudo: maybe}\n", 2, "hosts.a.sudo", "true or false"),
        ("hosts:\n  a: {tags: {role: [web]}}\n", 2, "hosts.a.tags.role", "single value"),
        ("hosts:\n  a: {tags: {'bad key': x}}\n", 2, "hosts.a.tags.bad key", "tag name"),
        ("hosts:\n  a: {identity_file: -i}\n", 2, "hosts.a.identity_file", "key file"),
        ("hosts: {a: }\ngroups:\n  web: [a, b]\n", 3, "groups.web[1]", "'b' is not a host"),
        ("hosts: {a: }\ngroups:\n  web: [a, a]\n", 3, "groups.web[1]", "listed twice"),
        ("hosts: {a: }\ngroups:\n  'we b': [a]\n", 3, "groups.we b", "group name"),
        ("hosts: {a: }\nprotected: [db-1]\n", 2, "protected[0]", "'db-1' is not a host"),
        ("hosts: {}\n", 1, "hosts", "at least one host"),
        ("defaults: {user: x}\n", 1, "hosts", "required"),
        ("hostz:\n  a: {}\n", 1, "hostz", "unknown key (known keys: defaults, groups, hosts"),
        ("hosts: [a, b]\n", 1, "hosts", "expected a mapping"),
        ("prometheus: {url: 'ftp://x'}\nhosts: {a: }\n", 1, "prometheus.url", "http"),
        ("prometheus: {url: 'http://u:p@x:9090'}\nhosts: {a: }\n", 1, "prometheus.url", "headers"),
        ("prometheus: {url: 'http://x:99999'}\nhosts: {a: }\n", 1, "prometheus.url", "range"),
        ("prometheus: {}\nhosts: {a: }\n", 1, "prometheus.url", "required"),
        (
            "prometheus: {url: 'http://x', headers: {'A b': c}}\nhosts: {a: }\n",
            1,
            "prometheus.headers.A b",
            "header name",
        ),
        (
            "prometheus:\n  url: http://x\n  headers:\n    Authorization: !vault |\n"
            "      $ANSIBLE_VAULT;1.1;AES256\n      6231\nhosts: {a: }\n",
            4,
            "prometheus.headers.Authorization",
            "Vault",
        ),
        ("prometheus: {url: 'http://x', verify_tls: 1}\nhosts: {a: }\n", 1, "verify_tls", "true"),
        ("hosts:\n  a: {address: !!binary aGVsbG8=}\n", 2, "hosts.a.address", ""),
    ],
)
def test_bad_input_names_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, problem: str
) -> None:
    error = error_of(tmp_path, text)
    assert error.line == line, error.message
    assert error.field.endswith(field) or field in error.field, error.message
    assert problem in error.problem, error.message


def test_multiline_header_value_is_refused(tmp_path: Path) -> None:
    error = error_of(
        tmp_path, 'prometheus: {url: "http://x", headers: {X-A: "a\\nb"}}\nhosts: {a: }\n'
    )
    assert "one line" in error.problem


@pytest.mark.parametrize(
    "address",
    ["10.0.0.1", "::1", "fd00::21", "fe80::1%eth0", "web-1", "web_1.example.com", "A1", "x" * 63],
)
def test_valid_addresses_are_accepted(address: str) -> None:
    assert check_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "-web",
        "web-",
        "a..b",
        ".a",
        "a b",
        "a;b",
        "a$(x)",
        "1.2.3",
        "256.1.1.1",
        "x" * 64,
        "é",
        "10.1",
        "0x7f.1",
        "2130706433",
        "010.0.0.1",
        "fe80::1%$(x)",
        "10.0.0.1\n",
    ],
)
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError):
        check_address(address)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9090", "https://prom.example.com/api/", "http://[::1]:9090/x?y=1"]
)
def test_prometheus_urls_accepted(url: str) -> None:
    assert check_prometheus_url(url) == url


# --- files that are not inventories at all ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "problem"),
    [
        (b"", "inv.yaml", "empty"),
        (b"# nothing here\n", "inv", "empty"),
        (b"\x00\x01\x02binary", "inv.yaml", "binary"),
        (b"\xff\xfe\xfa", "inv.yaml", "UTF-8"),
        (b"hosts: {a: [\n", "inv.yaml", "YAML syntax"),
        (b"just a sentence", "inv.yaml", "expected a mapping"),
        (b'{"a": ', "inv.json", "JSON syntax"),
        (b"[1, 2]", "inv.json", "JSON object"),
        (b"[" * 5000, "inv.yaml", "nested too deeply"),
        (b"[" * 100000, "inv.json", "nested too deeply"),
    ],
)
def test_junk_files_are_clean_errors(tmp_path: Path, data: bytes, name: str, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_inventory(path)
    assert problem in info.value.message


def test_missing_file_and_directory_are_clean_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_inventory(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="directory"):
        load_inventory(tmp_path)


# --- format detection ---------------------------------------------------------------------


def test_format_is_detected_from_content_when_the_name_says_nothing(tmp_path: Path) -> None:
    for source, fmt in [
        ("gameday.yaml", "gameday"),
        ("ansible.yaml", "ansible-yaml"),
        ("hosts", "ansible-ini"),
        ("ansible-list.json", "ansible-json"),
    ]:
        path = tmp_path / f"{fmt}-inventory"
        path.write_text((FIXTURES / source).read_text())
        assert load_inventory(path).format == fmt, source


def test_ini_without_sections_is_detected(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, "web1 ansible_host=10.0.0.1\nweb2\n", "inventory"))
    assert inv.format == "ansible-ini"
    assert list(inv.hosts) == ["web1", "web2"]


# --- no traceback, whatever the bytes -----------------------------------------------------

_FRAGMENTS = [
    line
    for source in ("gameday.yaml", "ansible.yaml", "hosts", "ansible-list.json")
    for line in (FIXTURES / source).read_text().splitlines()
] + [
    "[web:children]",
    "[x:vars]",
    "a[0:3:0]",
    "h[01:9]",
    "h[9:1]",
    "*a",
    "&a",
    "<<: *a",
    "!vault |",
    '"__ansible_vault": 1',
    "all: &x {children: {b: *x}}",
    "ansible_port=99999",
    "ansible_host='{{ x }}'",
    "- a",
    "  - b",
    "{",
    "}",
    "[::1]:22",
    "x='unclosed",
]
_SUFFIXES = ["", ".yaml", ".yml", ".ini", ".json", ".cfg"]


def _load_or_input_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"inventory{suffix}"
        path.write_bytes(data)
        try:
            load_inventory(path)
        except InputError as exc:
            assert exc.file == str(path)
            assert exc.line >= 0
            assert exc.message.isprintable()  # one line, whatever the bytes
            assert re.match(rf"{re.escape(str(path))}(:\d+)?: \S", exc.message), exc.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), suffix=st.sampled_from(_SUFFIXES))
def test_random_bytes_give_only_input_errors(data: bytes, suffix: str) -> None:
    _load_or_input_error(data, suffix)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300), suffix=st.sampled_from(_SUFFIXES))
def test_random_text_gives_only_input_errors(text: str, suffix: str) -> None:
    _load_or_input_error(text.encode("utf-8", "surrogatepass"), suffix)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.tuples(st.sampled_from(_FRAGMENTS), st.integers(0, 6), st.text(max_size=3)),
        max_size=25,
    ),
    suffix=st.sampled_from(_SUFFIXES),
)
def test_shuffled_inventory_lines_give_only_input_errors(
    lines: list[tuple[str, int, str]], suffix: str
) -> None:
    text = "\n".join(" " * indent + line + noise for line, indent, noise in lines)
    _load_or_input_error(text.encode("utf-8", "surrogatepass"), suffix)


def test_bad_known_hosts_path_is_named_as_a_path(tmp_path: Path) -> None:
    error = error_of(tmp_path, "known_hosts: -oX\nhosts: {a: }\n")
    assert (error.line, error.field) == (1, "known_hosts")
    assert "not a usable path" in error.problem


def test_ini_inventory_named_yaml_is_still_read_as_ini(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, "# fleet\n[web]\nw1 role=web\n", "hosts.yml"))
    assert inv.format == "ansible-ini" and inv.hosts["w1"].tags["role"] == "web"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('"\t" \x01\n', "hosts"),
        ("[web]\nw\x1c---- x\n", "hosts"),
        ('hosts:\n  "a\\x1cb": {}\n', "inv.yaml"),
        ('hosts:\n  " ": {}\n', "inv.yaml"),
        ('{"w": {"hosts": ["a"], "k\\u2028---": 1}}', "inv.json"),
    ],
)
def test_errors_print_as_one_line_whatever_the_file_holds(
    tmp_path: Path, text: str, name: str
) -> None:
    error = error_of(tmp_path, text, name)
    assert error.message.splitlines() == [error.message]
    assert error.message.isprintable()
    assert re.match(rf"{re.escape(error.file)}(:\d+)?: \S", error.message), error.message
