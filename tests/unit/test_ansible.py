"""Ansible inventories (static YAML, INI, `ansible-inventory --list` JSON) read as gameday
inventories: the same hosts, connection settings and tags whichever form a team keeps."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.formats.ansible import MAX_HOSTS, expand_host_pattern
from gameday.core.formats.inventory import Inventory
from gameday.core.formats.inventory_loader import load_inventory
from gameday.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventories"


def load(tmp_path: Path, text: str, name: str) -> Inventory:
    path = tmp_path / name
    path.write_text(text)
    return load_inventory(path)


def error_of(tmp_path: Path, text: str, name: str) -> InputError:
    with pytest.raises(InputError) as info:
        load(tmp_path, text, name)
    assert info.value.file == str(tmp_path / name)
    return info.value


def summary(inv: Inventory) -> dict[str, tuple[object, ...]]:
    return {
        name: (
            h.address,
            h.port,
            h.user,
            h.identity_file,
            h.sudo,
            dict(h.tags),
            name in inv.protected,
        )
        for name, h in inv.hosts.items()
    }


# --- the fixtures: one fleet written three ways -------------------------------------------


def test_yaml_and_ini_forms_of_one_fleet_read_the_same() -> None:
    yaml_inv = load_inventory(FIXTURES / "ansible.yaml")
    ini_inv = load_inventory(FIXTURES / "hosts")
    assert (yaml_inv.format, ini_inv.format) == ("ansible-yaml", "ansible-ini")
    ini = summary(ini_inv)
    tags = ini["web-canary.example.com"][5]
    assert isinstance(tags, dict)
    tags.pop("note")  # the INI form adds one quoted tag
    assert summary(yaml_inv) == ini
    assert dict(yaml_inv.groups) == {k: ini_inv.groups[k] for k in yaml_inv.groups}


def test_connection_variables_become_host_settings() -> None:
    inv = load_inventory(FIXTURES / "ansible.yaml")
    db = inv.hosts["db-a"]
    assert (db.address, db.port, db.user, db.identity_file) == (
        "10.0.1.10",
        2200,
        "deploy",
        "~/.ssh/db_ed25519",
    )
    web = inv.hosts["web02.example.com"]
    assert (web.address, web.port, web.sudo) == ("web02.example.com", 22, True)
    assert inv.hosts["web-canary.example.com"].port == 2222  # host:port pattern


def test_other_variables_become_string_tags_and_ansible_ones_do_not() -> None:
    inv = load_inventory(FIXTURES / "ansible.yaml")
    assert dict(inv.hosts["web01.example.com"].tags) == {
        "env": "staging",
        "role": "web",
        "zone": "a",
    }
    assert dict(inv.hosts["db-b"].tags) == {"env": "staging", "role": "db-replica"}


def test_children_are_flattened_into_their_parents() -> None:
    inv = load_inventory(FIXTURES / "ansible.yaml")
    assert inv.groups["db"] == ("db-a", "db-b", "db-c")
    assert inv.groups["db_replicas"] == ("db-b", "db-c")
    assert inv.groups["all"] == tuple(inv.hosts)
    assert inv.groups["ungrouped"] == ("bastion",)


def test_gameday_protected_variable_protects_the_host() -> None:
    for source in ("ansible.yaml", "hosts", "ansible-list.json"):
        assert load_inventory(FIXTURES / source).protected == frozenset({"bastion"}), source


def test_vault_value_not_needed_to_connect_is_an_opaque_secret() -> None:
    for source in ("ansible.yaml", "ansible-list.json"):
        inv = load_inventory(FIXTURES / source)
        db = inv.hosts["db-a"]
        assert "db_password" not in db.tags
        assert db.secrets["db_password"].reveal().startswith("$ANSIBLE_VAULT;1.1;AES256")
        assert "ANSIBLE_VAULT" not in repr(inv), source


def test_list_json_reads_hostvars_and_groups() -> None:
    inv = load_inventory(FIXTURES / "ansible-list.json")
    assert inv.format == "ansible-json"
    assert list(inv.hosts) == ["bastion", "web01.example.com", "web02.example.com", "db-a", "db-b"]
    assert inv.hosts["db-a"].port == 2200
    assert inv.hosts["web01.example.com"].sudo is True
    assert inv.groups["db"] == ("db-a", "db-b")
    assert "replicas" not in inv.hosts["db-b"].tags  # a list is not a tag


# --- variable precedence, as Ansible does it ----------------------------------------------


def test_host_vars_beat_child_group_vars_which_beat_parent_and_all(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "[all:vars]\nrole=any\nansible_user=a\n"
        "[parent:children]\nchild\n"
        "[parent:vars]\nrole=parent\nansible_user=p\n"
        "[child]\nh1\nh2 role=own\n"
        "[child:vars]\nrole=child\n"
        "[other]\nh3\n",
        "inv.ini",
    )
    assert inv.hosts["h1"].tags["role"] == "child"
    assert inv.hosts["h2"].tags["role"] == "own"
    assert inv.hosts["h1"].user == "p"
    assert inv.hosts["h3"].tags["role"] == "any"
    assert inv.hosts["h3"].user == "a"


def test_yaml_group_written_in_two_places_is_merged(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "all:\n  children:\n    web:\n      hosts: {w1: }\n"
        "prod:\n  children:\n    web:\n      hosts: {w2: }\n      vars: {env: prod}\n",
        "inv.yml",
    )
    assert inv.groups["web"] == ("w1", "w2")
    assert inv.groups["prod"] == ("w1", "w2")
    assert inv.hosts["w1"].tags["env"] == "prod"


def test_ini_quoting_and_comments(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "; a comment\n# another\n[web]\n"
        "w1 note=\"two words\" other='single' plain=x # trailing comment\n"
        '[web:vars]\nmotd = "hello there"\nraw=a b\n',
        "inv.ini",
    )
    assert dict(inv.hosts["w1"].tags) == {
        "motd": "hello there",
        "raw": "a b",
        "note": "two words",
        "other": "single",
        "plain": "x",
    }


def test_ipv6_hosts_in_ini(tmp_path: Path) -> None:
    inv = load(tmp_path, "[db]\n[fd00::1]:2200\nfd00::2\n", "inv.ini")
    assert (inv.hosts["fd00::1"].address, inv.hosts["fd00::1"].port) == ("fd00::1", 2200)
    assert inv.hosts["fd00::2"].port == 22


def test_dynamic_inventory_script_json_with_plain_lists(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        '{"web": ["w1", "w2"], "db": {"hosts": ["d1"], "vars": {"role": "db", "port_n": 5}},'
        ' "_meta": {"hostvars": {"w1": {"ansible_port": "2201", "x": null, "y": false}}}}',
        "inv.json",
    )
    assert inv.groups["web"] == ("w1", "w2")
    assert inv.hosts["w1"].port == 2201
    assert dict(inv.hosts["w1"].tags) == {"y": "false"}
    assert dict(inv.hosts["d1"].tags) == {"role": "db", "port_n": "5"}


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line", "field", "problem"),
    [
        (
            "v.yaml",
            "all:\n  hosts:\n    web1:\n      ansible_host: !vault |\n"
            "        $ANSIBLE_VAULT;1.1;AES256\n        3131\n",
            4,
            "all.hosts.web1.ansible_host",
            "Ansible Vault",
        ),
        (
            "v.yaml",
            "all:\n  vars:\n    ansible_user: !vault |\n        $ANSIBLE_VAULT;1.1\n"
            "  hosts: {w1: }\n",
            3,
            "all.vars.ansible_user",
            "Ansible Vault",
        ),
        (
            "v.json",
            '{"web": {"hosts": ["w1"]},\n "_meta": {"hostvars": {"w1":\n'
            ' {"ansible_host": {"__ansible_vault": "x"}}}}}',
            3,
            "_meta.hostvars.w1.ansible_host",
            "Ansible Vault",
        ),
        ("v.ini", "[web]\nw1 ansible_host=$ANSIBLE_VAULT;1.1\n", 2, "w1.ansible_host", "Vault"),
        (
            "j.yml",
            "all:\n  hosts:\n    w1: {ansible_host: '{{ x }}'}\n",
            3,
            "ansible_host",
            "Jinja",
        ),
        ("p.ini", "[web]\nw0\nw1 ansible_port=99999\n", 3, "w1.ansible_port", "out of range"),
        ("p.ini", "[web]\nw1 ansible_port=ssh\n", 2, "w1.ansible_port", "not a port"),
        ("p.ini", "[web]\nw1:0\n", 2, "w1:0", "out of range"),
        ("p.yml", "all:\n  hosts:\n    w1: {ansible_port: 70000}\n", 3, "ansible_port", "range"),
        ("a.ini", "[web]\nw1 ansible_host=-oProxyCommand=x\n", 2, "ansible_host", "not a valid"),
        ("a.ini", "[web]\n-w1\n", 2, "[web] -w1", "not a valid"),
        ("a.ini", "[web]\nw1 ansible_user='a b'\n", 2, "w1.ansible_user", "user name"),
        ("a.ini", "[web]\nw1 ansible_become=perhaps\n", 2, "w1.ansible_become", "true or false"),
        ("a.yml", "all:\n  hosts:\n    w1: {ansible_host: [1, 2]}\n", 3, "ansible_host", "single"),
        ("q.ini", '\n[web]\nw1 note="unclosed\n', 3, "[web]", "No closing quotation"),
        ("q.ini", "[web]\nw1 justaword\n", 2, "w1", "key=value"),
        ("q.ini", "[web]\nw1 'bad name'=1\n", 2, "w1.bad name", "variable name"),
        ("s.ini", "[web:hosts]\nw1\n", 1, "[web:hosts]", "unknown section kind"),
        ("s.ini", "[webb:vars]\nx=1\n[web]\nw1\n", 1, "[webb:vars]", "never defined"),
        ("s.ini", "[web:vars]\njustaword\n[web]\nw1\n", 2, "[web:vars]", "key=value"),
        ("s.ini", "[web:children]\na b\n", 2, "[web:children]", "one group name"),
        (
            "d.ini",
            "[web]\nw1 ansible_host=10.0.0.1\n[db]\nw1 ansible_host=10.0.0.2\n",
            4,
            "w1.ansible_host",
            "two different ansible_host values (the other is on line 2)",
        ),
        (
            "d.yml",
            "all:\n  hosts:\n    w1: {ansible_port: 22}\n  children:\n    web:\n"
            "      hosts:\n        w1: {ansible_port: 2222}\n",
            7,
            "ansible_port",
            "two different",
        ),
        ("u.ini", "[web:children]\napp\n[web]\nw1\n", 2, "[web:children]", "group app is never"),
        ("c.ini", "[a:children]\nb\n[b:children]\na\n[a]\nh1\n", 4, "[b:children]", "itself"),
        (
            "c.yml",
            "all:\n  children:\n    a:\n      hosts: {h: }\n      children:\n        b:\n"
            "          children:\n            a:\n",
            8,
            "a",
            "itself",
        ),
        ("r.yml", "a: &x\n  hosts: {h1: }\n  children: {b: *x}\n", 3, "b", "itself"),
        ("g.yml", "all:\n  hosts: [w1, w2]\n", 2, "all.hosts", "mapping"),
        ("g.yml", "all:\n  host: {w1: }\n", 2, "all.host", "unknown key"),
        ("g.yml", "all:\n  hosts: {w1: }\n  children: {'bad group': }\n", 3, "bad group", "group"),
        ("g.yml", "all:\n  hosts:\n    w1: {ansible_host: !custom x}\n", 3, "ansible_host", "tag"),
        ("e.yml", "all:\n  children: {web: }\n", 1, "", "no hosts"),
        ("r.ini", "[web]\nw[3:1]\n", 2, "w[3:1]", "start is after"),
        ("r.ini", "[web]\nw[01:100]\n", 2, "w[01:100]", "same width"),
        ("r.ini", "[web]\nw[0:99999999]\n", 2, "w[0:99999999]", "more than"),
        ("r.ini", "[web]\nw[a:3]\n", 2, "w[a:3]", "not a host range"),
        ("r.ini", "[web]\nw[1:2:0]\n", 2, "w[1:2:0]", "step"),
        ("r.ini", "[web]\nw[0:300][0:300]\n", 2, "w[0:300][0:300]", "more than"),
        ("j.json", '{"web": {"hosts": ["w1"],\n "bad": 1}}', 2, "web.bad", "unknown key"),
        ("j.json", '{"web": {"hosts": "w1"}}', 1, "web.hosts", "list of names"),
        ("j.json", '{"web": 3}', 1, "web", "expected an object"),
        ("j.json", '{"_meta": {"hostvars": []}, "w": ["a"]}', 1, "hostvars", "object"),
        ("j.json", '{"w": ["a"],\n\n "_meta": {"hostvars": {"a": 1}}}', 3, "hostvars.a", "object"),
        ("j.json", '{"w": ["a b"]}', 1, "w.hosts", "not a valid"),
    ],
)
def test_bad_ansible_input_names_file_line_and_field(
    tmp_path: Path, name: str, text: str, line: int, field: str, problem: str
) -> None:
    error = error_of(tmp_path, text, name)
    assert error.line == line, error.message
    assert field in error.field, error.message
    assert problem in error.problem, error.message


def test_same_host_in_two_groups_is_one_host(tmp_path: Path) -> None:
    inv = load(tmp_path, "[web]\nh1 a=1\n[canary]\nh1 b=2\n", "inv.ini")
    assert list(inv.hosts) == ["h1"]
    assert dict(inv.hosts["h1"].tags) == {"a": "1", "b": "2"}
    assert inv.groups_of("h1") == ("all", "web", "canary")
    assert inv.groups["ungrouped"] == ()


def test_plain_passwords_are_secrets_not_tags(tmp_path: Path) -> None:
    inv = load(tmp_path, "[web]\nh1 ansible_password=hunter2 ansible_become_pass=x\n", "inv.ini")
    host = inv.hosts["h1"]
    assert dict(host.tags) == {}
    assert host.secrets["ansible_password"].reveal() == "hunter2"
    assert "hunter2" not in repr(inv)


# --- host ranges --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "names", "port"),
    [
        ("web1", ["web1"], None),
        ("web[01:03]", ["web01", "web02", "web03"], None),
        ("web[1:3]", ["web1", "web2", "web3"], None),
        ("web[8:10].x", ["web8.x", "web9.x", "web10.x"], None),
        ("db-[a:c]", ["db-a", "db-b", "db-c"], None),
        ("h[0:6:3]", ["h0", "h3", "h6"], None),
        ("h[:2]", ["h0", "h1", "h2"], None),
        ("r[1:2]n[a:b]", ["r1na", "r1nb", "r2na", "r2nb"], None),
        ("web[1:2]:2222", ["web1", "web2"], 2222),
        ("web1:2222", ["web1"], 2222),
        ("10.0.0.1:22", ["10.0.0.1"], 22),
        ("fd00::1", ["fd00::1"], None),
        ("[fd00::1]:2200", ["fd00::1"], 2200),
    ],
)
def test_host_patterns_expand_like_ansible(
    pattern: str, names: list[str], port: int | None
) -> None:
    assert expand_host_pattern(pattern) == (names, port)


@given(
    start=st.integers(0, 500),
    span=st.integers(0, 300),
    step=st.integers(1, 50),
    pad=st.booleans(),
)
def test_numeric_ranges_give_distinct_names_in_order(
    start: int, span: int, step: int, pad: bool
) -> None:
    end = start + span
    begin, stop = (str(start).zfill(4), str(end).zfill(4)) if pad else (str(start), str(end))
    names, port = expand_host_pattern(f"n[{begin}:{stop}:{step}]")
    assert port is None
    expected = list(range(start, end + 1, step))
    assert len(names) == len(set(names)) == len(expected) <= MAX_HOSTS
    assert [int(n[1:]) for n in names] == expected
    if pad and begin.startswith("0"):
        assert all(len(n) == 5 for n in names)


def test_gameday_protected_as_a_group_var_protects_the_whole_group(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "[critical]\ndb1\ndb2 gameday_protected=false\n[critical:vars]\ngameday_protected=true\n"
        "[web]\nw1\n",
        "inv.ini",
    )
    assert inv.protected == frozenset({"db1"})  # the host's own var wins, as in Ansible


# --- agreement with Ansible itself --------------------------------------------------------
# Each JSON file under ansible-compat/ was printed by `ansible-inventory -i SOURCE --list`
# (and `--list --export`, and `--list --yaml` for the .list.yaml files) of ansible-core 2.19
# from the source next to it: reading the source
# must give what Ansible resolved (precedence, ranges, quoting, children, YAML 1.1 scalars).

COMPAT = FIXTURES / "ansible-compat"


def resolved(inv: Inventory) -> tuple[dict[str, tuple[object, ...]], dict[str, list[str]]]:
    hosts = {n: (*summary(inv)[n], sorted(h.secrets)) for n, h in inv.hosts.items()}
    groups = {g: sorted(members) for g, members in inv.groups.items() if members}
    return hosts, groups


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        (COMPAT / "precedence.ini", COMPAT / "precedence.list.json"),
        (COMPAT / "precedence.ini", COMPAT / "precedence.export.json"),
        (COMPAT / "precedence.ini", COMPAT / "precedence.list.yaml"),
        (COMPAT / "nested.yaml", COMPAT / "nested.list.yaml"),
        (COMPAT / "ungrouped.ini", COMPAT / "ungrouped.list.json"),
        (COMPAT / "order.yaml", COMPAT / "order.list.json"),
        (COMPAT / "nested.yaml", COMPAT / "nested.list.json"),
        (COMPAT / "nested.yaml", COMPAT / "nested.export.json"),
        (FIXTURES / "hosts", COMPAT / "hosts.list.json"),
        (FIXTURES / "ansible.yaml", COMPAT / "ansible.list.json"),
        (FIXTURES / "ansible.yaml", COMPAT / "ansible.export.json"),
    ],
    ids=lambda p: p.name,
)
def test_source_reads_as_ansible_resolved_it(source: Path, printed: Path) -> None:
    assert resolved(load_inventory(source)) == resolved(load_inventory(printed))


def test_compat_fixtures_exercise_the_tricky_parts() -> None:
    # Guards the test above against fixtures that lose what they are there to check.
    ini = load_inventory(COMPAT / "precedence.ini")
    assert ini.hosts["web-canary.example.com"].tags["role"] == "web"  # deeper group wins
    assert ini.hosts["db2"].tags["role"] == "own"  # host var wins
    assert ini.hosts["lone1"].tags["env"] == "staging"  # only all:vars apply
    assert ini.hosts["fd00::7"].port == 2200
    assert [n for n in ini.hosts if n.startswith("web0")] == [
        "web01.example.com",
        "web03.example.com",
        "web05.example.com",
    ]
    nested = load_inventory(COMPAT / "nested.yaml")
    assert dict(nested.hosts["v1"].tags) == {
        "env": "staging",
        "hexport": "16",
        "octal_like": "8",
        "big": "123456789012345678901234567890",
    }
    assert nested.hosts["w1"].tags["monitored"] == "true"
    # web is written twice (under prod, and again under all): one group, so w3 is in prod too
    assert nested.groups["prod"] == ("w1", "w2", "d1", "w3")
    assert "api_token" in nested.hosts["v1"].secrets


def test_huge_numbers_are_text_not_a_crash(tmp_path: Path) -> None:
    digits = "7" * 5000
    inv = load(
        tmp_path, f'{{"w": ["a"], "_meta": {{"hostvars": {{"a": {{"n": {digits}}}}}}}}}', "i.json"
    )
    assert "n" not in inv.hosts["a"].tags  # read fine, and too long to be a tag
    short = "7" * 1000
    inv = load(tmp_path, f"all:\n  hosts:\n    a: {{n: {short}}}\n", "i.yaml")
    assert inv.hosts["a"].tags["n"] == short
    error = error_of(
        tmp_path,
        f'{{"w": ["a"], "_meta": {{"hostvars": {{"a": {{"ansible_port": {digits}}}}}}}}}',
        "p.json",
    )
    assert "not a port" in error.problem


# --- structured fuzzing: well-formed files with any shape give only InputErrors ------------

_WORDS = st.sampled_from(
    [
        "all", "web", "db", "_meta", "hostvars", "hosts", "children", "vars", "h1", "h[1:3]",
        "h2:22", "ansible_host", "ansible_port", "ansible_user", "ansible_become",
        "ansible_ssh_private_key_file", "gameday_protected", "__ansible_vault", "role",
        "defaults", "protected", "groups", "prometheus", "url", "headers", "known_hosts",
        "address", "port", "tags", "bad name", "-x", "", "fd00::1", "10.0.0.1",
    ]
)  # fmt: skip
_SCALARS = (
    st.none() | st.booleans() | st.integers(-5, 70000) | st.floats() | _WORDS | st.text(max_size=8)
)
_SHAPES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_WORDS, inner, max_size=5),
    max_leaves=30,
)


def _only_input_errors(path: Path) -> None:
    try:
        load_inventory(path)
    except InputError as exc:
        assert exc.file == str(path) and exc.message.isprintable()


@settings(max_examples=300, deadline=None)
@given(shape=st.dictionaries(_WORDS, _SHAPES, max_size=6))
def test_any_json_shape_gives_only_input_errors(shape: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inv.json"
        path.write_text(json.dumps(shape))
        _only_input_errors(path)


@settings(max_examples=300, deadline=None)
@given(shape=st.dictionaries(_WORDS, _SHAPES, max_size=6), suffix=st.sampled_from([".yaml", ""]))
def test_any_yaml_shape_gives_only_input_errors(shape: dict[str, object], suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"inv{suffix}"
        path.write_text(yaml.safe_dump(shape))
        _only_input_errors(path)


def test_a_big_fleet_loads_in_linear_time(tmp_path: Path) -> None:
    # 65 000 hosts from two ranges: a quadratic step here once took over half a minute.
    path = tmp_path / "big.ini"
    path.write_text("[web]\nh[00000:59999]\n[db]\nd[0:4999]\n[db:vars]\nrole=db\n")
    started = time.monotonic()
    inv = load_inventory(path)
    assert len(inv.hosts) == 65000 and inv.hosts["d4999"].tags["role"] == "db"
    assert time.monotonic() - started < 15


def test_a_host_written_twice_is_one_host_with_merged_vars(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "[web]\nweb[1:3] role=web\nweb2 zone=b ansible_port=22\n[canary]\nweb2 ansible_port=22\n",
        "inv.ini",
    )
    assert inv.groups["web"] == ("web1", "web2", "web3")
    assert dict(inv.hosts["web2"].tags) == {"role": "web", "zone": "b"}


def test_ini_values_are_python_literals_as_ansible_reads_them(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "[web]\nw1 a=1.50 b=True c=[1,2] d=None e='x y' f=0x10 g=C:\\\\tmp\\\\d h=1e999\n"
        "[web:vars]\ni = {'k': 1}\nj = \"quoted\"  \nk = plain text # not a comment\n",
        "inv.ini",
    )
    assert dict(inv.hosts["w1"].tags) == {
        "a": "1.5",
        "b": "true",
        "e": "x y",
        "f": "16",
        "g": "C:\\tmp\\d",
        "h": "Infinity",
        "j": "quoted",
        "k": "plain text # not a comment",
    }


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("[web]\nw1\n[db]\nw1:2222\n", 4, "Ansible ignores a port added"),
        ("[web]\nw1:2222 ansible_port=2200\n", 2, "contradicts the port in the host name"),
        ("[web]\nw1:2222\n[db]\nw1:2200\n", 4, "without port 2200"),
    ],
)
def test_a_port_ansible_would_quietly_drop_is_an_error(
    text: str, line: int, problem: str, tmp_path: Path
) -> None:
    error = error_of(tmp_path, text, "inv.ini")
    assert error.line == line and problem in error.problem, error.message


def test_a_port_repeated_consistently_is_fine(tmp_path: Path) -> None:
    inv = load(
        tmp_path, "[web]\nw1:2222 a=1\n[db]\nw1:2222 b=2\nw2:2200 ansible_port=2200\n", "inv.ini"
    )
    assert (inv.hosts["w1"].port, inv.hosts["w2"].port) == (2222, 2200)
    assert dict(inv.hosts["w1"].tags) == {"a": "1", "b": "2"}


def test_ungrouped_vars_reach_exactly_the_hosts_in_no_other_group() -> None:
    inv = load_inventory(COMPAT / "ungrouped.ini")
    assert inv.groups["ungrouped"] == ("w1", "w2", "w3")
    assert [n for n, h in inv.hosts.items() if h.tags.get("role") == "a b"] == ["w1", "w2", "w3"]
    assert inv.hosts["w4"].sudo is False and "role" not in inv.hosts["w4"].tags
    assert inv.hosts["10.0.0.1"].sudo is True


def test_yaml_keys_are_read_in_the_order_written() -> None:
    inv = load_inventory(COMPAT / "order.yaml")
    assert (inv.hosts["w1"].port, inv.hosts["w1"].tags["zone"]) == (2222, "b")


def test_multiline_values_are_not_tags(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "all:\n  hosts:\n    w1:\n      role: web\n      motd: |\n        hello\n        there\n",
        "i.yml",
    )
    assert dict(inv.hosts["w1"].tags) == {"role": "web"}


def test_a_null_connection_variable_means_not_set(tmp_path: Path) -> None:
    inv = load(
        tmp_path,
        "all:\n  vars: {ansible_user: deploy}\n"
        "  hosts:\n    w1: {ansible_user: ~, ansible_port: null}\n",
        "i.yml",
    )
    assert (inv.hosts["w1"].user, inv.hosts["w1"].port) == ("root", 22)
    inv = load(tmp_path, "[web]\nw1 ansible_user=None ansible_host=10.0.0.2\n", "i.ini")
    assert (inv.hosts["w1"].user, inv.hosts["w1"].address) == ("root", "10.0.0.2")
