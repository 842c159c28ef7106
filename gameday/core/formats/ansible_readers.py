"""The three Ansible inventory readers: static YAML, INI, and `ansible-inventory --list` JSON.

Each only collects groups, hosts and variables with their lines; `Builder` (ansible.py) does
the rest, as Ansible would."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import yaml

from gameday.core.formats.ansible import (
    MAX_GROUP_DEPTH,
    Builder,
    Var,
    check_var_name,
    expand_host_pattern,
    ini_text,
    text_var,
)
from gameday.core.formats.inventory import (
    Inventory,
    Secret,
)
from gameday.core.yamlsrc import Node
from gameday.errors import InputError

_INI_SECTION = re.compile(r"\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?")


# --- static YAML --------------------------------------------------------------------------


def parse_yaml(root: Node) -> Inventory:
    """An Ansible YAML inventory: top-level groups with `hosts`, `children` and `vars`."""
    builder = Builder(root.file, "ansible-yaml")
    top = root.as_map()
    seen: set[tuple[str, int]] = set()
    for name, node in top.items():
        key = top.key_node(name)
        builder.group(name, key.line, key.path)
        _yaml_group(builder, name, node, seen, 0)
    return builder.build()


def _yaml_group(
    builder: Builder, name: str, node: Node, seen: set[tuple[str, int]], depth: int
) -> None:
    # A group may be written in several places, or via an alias (even one that points to an
    # ancestor): each (name, node) pair is read once, so aliases cannot multiply the work.
    if (name, id(node.raw)) in seen or node.is_null:
        return
    seen.add((name, id(node.raw)))
    if depth > MAX_GROUP_DEPTH:
        raise node.error(f"groups are nested more than {MAX_GROUP_DEPTH} deep")
    entry = node.as_map()
    # In the order written, as Ansible reads it: which mention of a host comes first matters.
    for key, value in entry.items():
        if key not in ("hosts", "vars", "children"):
            raise entry.key_node(key).error("unknown key (known keys: children, hosts, vars)")
        if value.is_null:
            continue
        if key == "hosts":
            _yaml_hosts(builder, name, value)
        elif key == "vars":
            builder.groups[name].vars.update(_yaml_vars(value))
        elif key == "children":
            kids = value.as_map()
            for child, child_node in kids.items():
                child_key = kids.key_node(child)
                builder.add_child(name, child, child_key.line, child_key.path)
                _yaml_group(builder, child, child_node, seen, depth + 1)


def _yaml_hosts(builder: Builder, group: str, node: Node) -> None:
    if node.is_list:
        raise node.error("hosts is a mapping in Ansible YAML: write `web1:` on its own line")
    entries = node.as_map()
    for pattern, value in entries.items():
        key = entries.key_node(pattern)
        names, port = key.convert(expand_host_pattern)
        variables = {} if value.is_null else _yaml_vars(value)
        port_var = None if port is None else Var(str(port), key.line, key.path)
        for name in names:
            builder.add_host(group, name, key.line, key.path, dict(variables), port=port_var)


def _yaml_vars(node: Node) -> dict[str, Var]:
    entries = node.as_map()
    result: dict[str, Var] = {}
    for name, value in entries.items():
        entries.key_node(name).convert(check_var_name)
        result[name] = _yaml_var(value)
    return result


def _yaml_var(node: Node) -> Var:
    raw = node.raw
    if not isinstance(raw, yaml.ScalarNode) or node.is_null:
        return Var(None, node.line, node.path, null=node.is_null)  # not tags
    if raw.tag == "!vault":
        return Var(Secret(str(raw.value)), node.line, node.path)
    if raw.tag.startswith("!") and raw.tag != "!unsafe":
        raise node.error(f"unsupported YAML tag {raw.tag}")
    return text_var(_yaml_text(raw), node.line, node.path)


_YAML_TYPED = frozenset(
    {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
)


def _yaml_text(raw: yaml.ScalarNode) -> str:
    """A scalar as the text Ansible would print: `yes` → true, `0x10` → 16, as JSON does."""
    text = str(raw.value)
    if raw.tag not in _YAML_TYPED or raw.style is not None or len(text) > 64:
        return text
    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return text


# --- INI ----------------------------------------------------------------------------------


def parse_ini(file: str, text: str) -> Inventory:
    """An Ansible INI inventory: `[group]`, `[group:children]`, `[group:vars]`, host lines
    `name[01:09] key=value key="quoted value"`; hosts before any section are ungrouped."""
    builder = Builder(file, "ansible-ini")
    builder.group("ungrouped", 0, "")
    group, kind = "ungrouped", "hosts"
    declared = {"all", "ungrouped"}
    vars_sections: dict[str, tuple[int, str]] = {}
    children: list[tuple[str, int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        section = _INI_SECTION.fullmatch(line)
        if section:
            group, kind = section.group(1), section.group(2) or "hosts"
            fld = f"[{line.split(']')[0][1:]}]"
            if section.group(2) not in (None, "children", "vars"):
                raise builder.error(
                    number, fld, f"unknown section kind :{kind} (use :children or :vars)"
                )
            builder.group(group, number, fld)
            if kind == "vars":
                vars_sections.setdefault(group, (number, fld))
            else:
                declared.add(group)
            continue
        if kind == "hosts":
            _ini_host(builder, group, line, number)
        elif kind == "children":
            words = _ini_words(builder, line, number, f"[{group}:children]")
            if len(words) != 1:
                raise builder.error(
                    number, f"[{group}:children]", "expected one group name per line"
                )
            builder.add_child(group, words[0], number, f"[{group}:children]")
            children.append((words[0], number, f"[{group}:children]"))
        else:
            name, var = _ini_var(builder, line, number, f"[{group}:vars]")
            builder.groups[group].vars[name] = var
    # As in Ansible, a group exists once it has a [group] or [group:children] section:
    # naming an undefined one (a typo, usually) is an error, not an empty group.
    for child, number, fld in children:
        if child not in declared:
            raise builder.error(
                number, fld, f"group {child} is never defined (no [{child}] section)"
            )
    for group, (number, fld) in vars_sections.items():
        if group not in declared:
            raise builder.error(number, fld, f"vars for group {group}, which is never defined")
    return builder.build()


def _ini_words(builder: Builder, line: str, number: int, fld: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError as exc:
        raise builder.error(number, fld, f"cannot split the line: {exc}") from None


def _ini_host(builder: Builder, group: str, line: str, number: int) -> None:
    words = _ini_words(builder, line, number, f"[{group}]")
    if not words:
        return
    pattern, assignments = words[0], words[1:]
    try:
        names, port = expand_host_pattern(pattern)
    except ValueError as exc:
        raise builder.error(number, f"[{group}] {pattern}", str(exc)) from None
    variables: dict[str, Var] = {}
    for word in assignments:
        key, sep, value = word.partition("=")
        fld = f"{pattern}.{key}" if sep else pattern
        if not sep:
            raise builder.error(
                number, fld, f"expected key=value after the host name, got {word!r}"
            )
        try:
            check_var_name(key)
        except ValueError as exc:
            raise builder.error(number, fld, str(exc)) from None
        variables[key] = ini_text(value, number, fld)
    port_var = None if port is None else Var(str(port), number, pattern)
    for name in names:
        builder.add_host(
            group, name, number, f"[{group}] {pattern}", dict(variables), port=port_var
        )


def _ini_var(builder: Builder, line: str, number: int, fld: str) -> tuple[str, Var]:
    key, sep, value = line.partition("=")
    key, value = key.strip(), value.strip()
    if not sep:
        raise builder.error(number, fld, f"expected key=value, got {line!r}")
    try:
        check_var_name(key)
    except ValueError as exc:
        raise builder.error(number, f"{fld}.{key}", str(exc)) from None
    return key, ini_text(value, number, f"{fld}.{key}")


# --- ansible-inventory --list JSON --------------------------------------------------------


def parse_json(file: str, text: str) -> Inventory:
    """The JSON printed by `ansible-inventory --list` (with or without `--export`), or by a
    dynamic inventory script (`{"group": ["h1", "h2"]}` or `{"group": {"hosts": [...]}}`)."""
    try:
        # Numbers stay text: tags are text anyway, and a 5000-digit number must not blow up
        # Python's int conversion limit.
        data = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as exc:
        raise InputError(file, exc.lineno, "", f"JSON syntax error: {exc.msg}") from None
    if not isinstance(data, dict):
        raise InputError(
            file, 1, "", "expected a JSON object (the output of ansible-inventory --list)"
        )
    reader = _JsonReader(file, text)
    return reader.read(data)


class _JsonReader:
    def __init__(self, file: str, text: str) -> None:
        self.text = text
        self.builder = Builder(file, "ansible-json")

    def line(self, *path: str) -> int:
        """Best effort: the line where the keys of `path` appear one after the other."""
        pos = 0
        for i, key in enumerate(path):
            quoted = re.escape(json.dumps(key))
            found = re.compile(quoted + r"\s*:").search(self.text, pos)
            if found is None and i == len(path) - 1:  # the last may be a list item
                found = re.compile(quoted).search(self.text, pos)
            if found is None:
                break
            pos = found.start()
        return self.text.count("\n", 0, pos) + 1 if pos else 0

    def error(self, problem: str, *path: str) -> InputError:
        return self.builder.error(self.line(*path), ".".join(path), problem)

    def read(self, data: dict[str, Any]) -> Inventory:
        meta = data.get("_meta", {})
        if not isinstance(meta, dict):
            raise self.error("expected an object", "_meta")
        hostvars = meta.get("hostvars", {})
        if not isinstance(hostvars, dict):
            raise self.error("expected an object of host → variables", "_meta", "hostvars")
        for name in data:
            if name != "_meta":
                self.builder.group(name, self.line(name), name)
        for name, value in data.items():
            if name != "_meta":
                self._group(name, value)
        for host, variables in hostvars.items():
            if not isinstance(variables, dict):
                raise self.error("expected an object of variables", "_meta", "hostvars", host)
            if host not in self.builder.hosts:
                self.builder.add_host("all", host, self.line("_meta", host), host, {})
            self.builder.hosts[host].vars.update(self._vars(variables, "_meta", "hostvars", host))
        return self.builder.build()

    def _group(self, name: str, value: Any) -> None:
        if isinstance(value, list):
            value = {"hosts": value}
        if value is None:
            return
        if not isinstance(value, dict):
            raise self.error("expected an object with hosts, children or vars", name)
        for key in value:
            if key not in ("hosts", "children", "vars"):
                raise self.error("unknown key in a group (use hosts, children, vars)", name, key)
        for host in self._names(value.get("hosts"), name, "hosts"):
            self.builder.add_host(name, host, self.line(name, host), f"{name}.hosts", {})
        for child in self._names(value.get("children"), name, "children"):
            self.builder.add_child(name, child, self.line(name, child), f"{name}.children")
        variables = value.get("vars")
        if variables is not None:
            if not isinstance(variables, dict):
                raise self.error("expected an object of variables", name, "vars")
            self.builder.groups[name].vars.update(self._vars(variables, name, "vars"))

    def _names(self, value: Any, *path: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error("expected a list of names", *path)
        return value

    def _vars(self, variables: dict[str, Any], *path: str) -> dict[str, Var]:
        result: dict[str, Var] = {}
        for key, value in variables.items():
            fld = ".".join((*path, key))
            line = self.line(*path, key)
            try:
                check_var_name(key)
            except ValueError as exc:
                raise self.builder.error(line, fld, str(exc)) from None
            result[key] = self._var(value, line, fld)
        return result

    def _var(self, value: Any, line: int, fld: str) -> Var:
        if isinstance(value, bool):
            return Var("true" if value else "false", line, fld)
        if isinstance(value, str):
            return text_var(value, line, fld)
        if isinstance(value, dict) and isinstance(value.get("__ansible_vault"), str):
            return Var(Secret(value["__ansible_vault"]), line, fld)
        if isinstance(value, dict) and isinstance(value.get("__ansible_unsafe"), str):
            return text_var(value["__ansible_unsafe"], line, fld)
        return Var(None, line, fld, null=value is None)
