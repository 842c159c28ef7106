"""Reading an inventory file of any supported format: gameday's YAML, Ansible's YAML, INI and
`ansible-inventory --list` JSON, detected from the suffix and the first meaningful line.

`load_inventory(path)` raises only `gameday.errors.InputError` (file, line, field), whatever the
bytes in the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from gameday.core.formats.ansible_readers import parse_ini, parse_json, parse_yaml
from gameday.core.formats.inventory import GAMEDAY_KEYS, Inventory, parse_gameday
from gameday.core.yamlsrc import Node, load_yaml, read_text
from gameday.errors import InputError

_ANSIBLE_GROUP_KEYS = frozenset({"hosts", "children", "vars"})
_INI_SUFFIXES = frozenset({".ini", ".cfg", ".hosts", ".inventory"})
_INI_SECTION = re.compile(r"\[[^:\]\s]+(?::\w+)?\]\s*(?:[#;].*)?")
_YAML_KEY_LINE = re.compile(r"(?:---|%YAML|[^\s=]+\s*:(?:\s|$)|-\s)")


def load_inventory(path: Path | str) -> Inventory:
    """Read an inventory file of any supported format into a validated, frozen `Inventory`.

    The format is detected from the suffix (`.json`, `.ini`/`.cfg`, `.yaml`/`.yml`) and
    otherwise from the first meaningful line. Raises `InputError` for anything wrong, naming
    file, line and field; no other exception escapes, whatever the bytes in the file.
    """
    name = str(path)
    try:
        return _load(name, read_text(path))
    except RecursionError:
        raise InputError(name, 0, "", "nested too deeply to be an inventory") from None
    except InputError as exc:
        # Fields and problems quote what the file says; a key with a tab or a line break in
        # it must still print as one `FILE:LINE: field: problem` line.
        field, problem = _one_line_field(exc.field), _one_line(exc.problem)
        if (field, problem) == (exc.field, exc.problem):
            raise
        raise InputError(exc.file, exc.line, field, problem) from None


def _load(name: str, text: str) -> Inventory:
    kind = _detect(name, text)
    if kind == "json":
        return parse_json(name, text)
    if kind == "ini":
        return parse_ini(name, text)
    root = load_yaml(name, text)
    if _looks_like_ansible_yaml(root):
        return parse_yaml(root)
    return parse_gameday(root)


def _one_line(text: str) -> str:
    """Every character a terminal would not print as itself, escaped (`\t`, `\x1c`…)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _one_line_field(field: str) -> str:
    if field and (not field.isprintable() or field != field.strip()):
        return repr(field)
    return field


def _detect(name: str, text: str) -> str:
    """json, ini or yaml: by the suffix, else by the first meaningful line."""
    suffix = Path(name).suffix.lower()
    first = next(
        (s for s in (raw.strip() for raw in text.splitlines()) if s and s[0] not in "#;"), ""
    )
    if suffix == ".json":
        return "json"
    if suffix in _INI_SUFFIXES or _INI_SECTION.fullmatch(first):
        # A YAML inventory never starts with `[web]`; an INI one named hosts.yml often does.
        return "ini"
    if suffix in (".yaml", ".yml") or not first:  # nothing but comments: "file is empty"
        return "yaml"
    if first.startswith("{"):
        return "json"
    return "yaml" if _YAML_KEY_LINE.match(first) else "ini"


def _looks_like_ansible_yaml(root: Node) -> bool:
    """Ansible's top level is groups (`all:` usually); gameday's has its own fixed keys."""
    if not root.is_map:
        return False
    entries = root.raw.value
    keys = {str(key.value) for key, _ in entries if hasattr(key, "value")}
    if keys & set(GAMEDAY_KEYS):
        return False
    if "all" in keys:
        return True
    for _, value in entries:
        child = Node(value, root.file, "")
        if child.is_map:
            inner = {str(k.value) for k, _ in value.value if hasattr(k, "value")}
            if inner & _ANSIBLE_GROUP_KEYS:
                return True
    return False
