"""Reading a file that may have several problems: collect every located error, raise them together.

A reader reads each part through the collector; a part that fails is recorded and left out, so the
author sees every problem of a file, sorted by line, in one pass.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable
from typing import TypeVar

from gameday.core.yamlsrc import MapNode, Node
from gameday.errors import InputError, InputErrors

T = TypeVar("T")
D = TypeVar("D")


class Collector:
    """Gathers located errors so that one pass reports every problem of a file."""

    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def add(self, error: InputError) -> None:
        self.errors.append(error)

    def attempt(self, read: Callable[[], T]) -> T | None:
        """`read()`, or None after recording the error(s) it raised."""
        try:
            return read()
        except InputErrors as exc:
            self.errors.extend(exc.errors)
        except InputError as exc:
            self.errors.append(exc)
        return None

    def each(self, items: list[Node], read: Callable[[Node], T]) -> list[tuple[Node, T]]:
        """`read` applied to every item; the items that fail are recorded and left out."""
        results: list[tuple[Node, T]] = []
        for item in items:
            value = self.attempt(functools.partial(read, item))
            if value is not None:
                results.append((item, value))
        return results

    def optional(self, m: MapNode, key: str, read: Callable[[Node], T], default: D) -> T | D:
        node = m.get(key)
        if node is None:
            return default
        value = self.attempt(lambda: read(node))
        return default if value is None else value

    def required(
        self, m: MapNode, key: str, read: Callable[[Node], T], problem: str = "is required"
    ) -> T | None:
        node = m.get(key)
        if node is None:
            where = f"{m.node.path}.{key}" if m.node.path else key
            self.add(InputError(m.file, m.line, where, problem))
            return None
        return self.attempt(lambda: read(node))

    def check_keys(self, m: MapNode, allowed: Iterable[str]) -> None:
        """Record every unknown key (not only the first), with a close match when there is one."""
        known = list(allowed)
        for key in m.keys():  # noqa: SIM118 (a MapNode is not a dict)
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            self.add(m.key_node(key).error(f"unknown key ({hint})"))

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        errors = sorted(self.errors, key=lambda e: (e.line, e.field))
        if len(errors) == 1:
            raise errors[0]
        raise InputErrors(errors)
