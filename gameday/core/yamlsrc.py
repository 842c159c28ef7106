"""Located YAML: read a file into nodes that remember their line and field path.

Every loader in the core reads through this module so that any error names the file, the line
and the dotted field path (`faults[0].ports[1]`), and no input, whatever its bytes, produces a
traceback. Only `yaml.compose` with the safe loader is used: no object construction from tags.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import yaml

from gameday.core.units import parse_duration, parse_size
from gameday.errors import InputError

T = TypeVar("T")

_SCALAR = yaml.SafeLoader  # resolves plain scalars to their implicit tags (int, bool, float…)
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
MAX_FILE_BYTES = 4 * 1024 * 1024


def read_text(path: Path | str) -> str:
    """Read a UTF-8 text file, or raise an InputError that says why it cannot be read."""
    name = str(path)
    try:
        if Path(path).exists() and not Path(path).is_file() and not Path(path).is_dir():
            # a FIFO or a device (/dev/zero) would block or never end
            raise InputError(name, 0, "", "is not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise InputError(name, 0, "", "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(name, 0, "", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(name, 0, "", f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
    if b"\x00" in data:
        raise InputError(name, _line_of(data, data.index(b"\x00")), "", "binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, _line_of(data, exc.start), "", "not valid UTF-8 text") from None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def load_yaml(path: Path | str, text: str | None = None) -> Node:
    """Compose a YAML document into a located Node; empty files and syntax errors are errors."""
    name = str(path)
    if text is None:
        text = read_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(name, line, "", f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:  # a control character: it has a position, no mark
        line = text.count("\n", 0, exc.position) + 1
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        )
        problem = f"character U+{code:04X} is a control character, not allowed in YAML"
        raise InputError(name, line, "", problem) from None
    except yaml.YAMLError as exc:
        raise InputError(name, 0, "", f"YAML error: {' '.join(str(exc).split())}") from None
    if root is None:
        raise InputError(name, 1, "", "file is empty")
    return Node(root, name, "")


class Node:
    """A YAML node with its file and dotted field path, and typed accessors that raise
    `InputError` pointing at this node when the value has the wrong type or form."""

    def __init__(self, node: yaml.Node, file: str, path: str) -> None:
        self.raw = node
        self.file = file
        self.path = path

    @property
    def line(self) -> int:
        return int(self.raw.start_mark.line) + 1

    def error(self, problem: str) -> InputError:
        return InputError(self.file, self.line, self.path, problem)

    def child(self, node: yaml.Node, key: str | int) -> Node:
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
        else:
            path = f"{self.path}.{key}" if self.path else key
        return Node(node, self.file, path)

    # --- shape ---------------------------------------------------------------------------
    @property
    def is_null(self) -> bool:
        return isinstance(self.raw, yaml.ScalarNode) and self.raw.tag == _NULL

    @property
    def is_map(self) -> bool:
        return isinstance(self.raw, yaml.MappingNode)

    @property
    def is_list(self) -> bool:
        return isinstance(self.raw, yaml.SequenceNode)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.raw, yaml.ScalarNode)

    def as_map(self) -> MapNode:
        if not isinstance(self.raw, yaml.MappingNode):
            raise self.error(f"expected a mapping (key: value), got {self._kind()}")
        return MapNode(self)

    def as_list(self) -> list[Node]:
        if not isinstance(self.raw, yaml.SequenceNode):
            raise self.error(f"expected a list, got {self._kind()}")
        return [self.child(item, i) for i, item in enumerate(self.raw.value)]

    def as_str_list(self) -> list[str]:
        """A list of strings; a single string is accepted as a list of one."""
        if self.is_scalar and not self.is_null:
            return [self.as_str()]
        return [item.as_str() for item in self.as_list()]

    # --- scalars -------------------------------------------------------------------------
    def _scalar(self) -> yaml.ScalarNode:
        if not isinstance(self.raw, yaml.ScalarNode):
            raise self.error(f"expected a single value, got {self._kind()}")
        if self.raw.tag.startswith("!"):
            raise self.error(f"unsupported YAML tag {self.raw.tag}")
        return self.raw

    def as_str(self) -> str:
        """Any scalar as its text (numbers included: `port: 22` reads as "22" here)."""
        node = self._scalar()
        if node.tag == _NULL:
            raise self.error("a value is required here")
        return str(node.value)

    def as_text(self) -> str:
        """A string that must not be empty."""
        value = self.as_str().strip()
        if not value:
            raise self.error("must not be empty")
        return value

    def as_int(self, *, min: int | None = None, max: int | None = None) -> int:
        node = self._scalar()
        if node.tag != _INT:
            raise self.error(f"expected a whole number, got {node.value!r}")
        try:
            value = int(str(node.value).replace("_", ""), 0)
        except ValueError:
            raise self.error(f"expected a whole number, got {node.value!r}") from None
        return self._bounded(value, min, max)

    def as_float(self, *, min: float | None = None, max: float | None = None) -> float:
        node = self._scalar()
        if node.tag not in (_INT, _FLOAT):
            raise self.error(f"expected a number, got {node.value!r}")
        try:
            value = float(str(node.value).replace("_", ""))
        except ValueError:
            raise self.error(f"expected a number, got {node.value!r}") from None
        if not math.isfinite(value):
            raise self.error("expected a finite number")
        return self._bounded(value, min, max)

    def as_bool(self) -> bool:
        node = self._scalar()
        if node.tag != _BOOL:
            raise self.error(f"expected true or false, got {node.value!r}")
        return str(node.value).lower() in ("true", "yes", "on", "y")

    def as_duration(self, *, min: float | None = None, max: float | None = None) -> float:
        """A duration such as `30s`, `5m`, `1h30m`, `250ms`, in seconds."""
        try:
            value = parse_duration(self.as_str())
        except ValueError as exc:
            raise self.error(str(exc)) from None
        return self._bounded(value, min, max, unit="s")

    def as_size(self, *, min: int | None = None, max: int | None = None) -> int:
        """A size such as `512M`, `2G`, `64KiB`, in bytes."""
        try:
            value = parse_size(self.as_str())
        except ValueError as exc:
            raise self.error(str(exc)) from None
        return self._bounded(value, min, max)

    def convert(self, fn: Callable[[str], T]) -> T:
        """Apply a validating conversion to the text; its ValueError becomes a located error."""
        try:
            return fn(self.as_str())
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def _bounded(self, value: T, lo: object, hi: object, unit: str = "") -> T:
        if lo is not None and value < lo:  # type: ignore[operator]
            raise self.error(f"must be at least {lo}{unit}")
        if hi is not None and value > hi:  # type: ignore[operator]
            raise self.error(f"must be at most {hi}{unit}")
        return value

    def _kind(self) -> str:
        if isinstance(self.raw, yaml.MappingNode):
            return "a mapping"
        if isinstance(self.raw, yaml.SequenceNode):
            return "a list"
        if self.is_null:
            return "nothing (null)"
        return f"{self.raw.value!r}"


class MapNode:
    """A mapping node; keys are checked for duplicates, and `done()` rejects unknown keys."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._items: dict[str, Node] = {}
        self._keys: dict[str, Node] = {}
        self._used: set[str] = set()
        assert isinstance(node.raw, yaml.MappingNode)
        for key_node, value_node in node.raw.value:
            key = Node(key_node, node.file, node.path)
            if not key.is_scalar or key.is_null:
                raise key.error("keys must be plain names")
            name = str(key_node.value)
            if name == "<<":
                raise key.error("YAML merge keys (<<) are not supported; write the keys out")
            if name in self._items:
                raise node.child(key_node, name).error("key appears twice")
            self._items[name] = node.child(value_node, name)
            self._keys[name] = node.child(key_node, name)

    @property
    def file(self) -> str:
        return self.node.file

    @property
    def line(self) -> int:
        return self.node.line

    def error(self, problem: str) -> InputError:
        return self.node.error(problem)

    def keys(self) -> list[str]:
        return list(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def items(self) -> Iterator[tuple[str, Node]]:
        """All entries (marks every key as used)."""
        for key, value in self._items.items():
            self._used.add(key)
            yield key, value

    def get(self, key: str) -> Node | None:
        """The value at `key`, or None when absent or written as null."""
        self._used.add(key)
        value = self._items.get(key)
        if value is None or value.is_null:
            return None
        return value

    def require(self, key: str) -> Node:
        value = self.get(key)
        if value is None:
            where = f"{self.node.path}.{key}" if self.node.path else key
            raise InputError(self.file, self.line, where, "is required")
        return value

    def key_node(self, key: str) -> Node:
        return self._keys[key]

    def done(self) -> None:
        """Raise on the first key nobody asked for: unknown keys are errors, never ignored."""
        for key in self._items:
            if key not in self._used:
                known = sorted(self._used)
                hint = f" (known keys: {', '.join(known)})" if known else ""
                raise self._keys[key].error(f"unknown key{hint}")
