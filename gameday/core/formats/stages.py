"""The blast-radius ladder as written in a scenario: `targets.stages`, and each stage's size.

`targets.stages: [1, 2, "50%", "100%"]` lists the *cumulative* size of the blast radius at each
stage: a whole number of hosts, or a percentage of the candidates (rounded up). `read_stages`
reads and checks the list where it is written (every problem located by file, line and field);
`stage_sizes` turns it into host counts once the candidates are known, raising `PlanError` when
the inventory cannot give a stage its hosts. Pure: no IO.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from gameday.core.yamlsrc import Node
from gameday.errors import InputError, InputErrors, PlanError

MAX_STAGES = 16
"""A ladder longer than this is a sweep, not an experiment a room can follow."""
MAX_COUNT = 100_000


@dataclass(frozen=True)
class StageSize:
    """One entry of `targets.stages`: a count or a percentage of the candidates."""

    count: int | None = None
    percentage: float | None = None
    line: int = 0

    @property
    def text(self) -> str:
        """As written: `2` or `50%`."""
        if self.percentage is not None:
            value = self.percentage
            return f"{int(value) if float(value).is_integer() else value}%"
        return str(self.count)


def read_stages(node: Node) -> tuple[StageSize, ...]:
    """Read `targets.stages`. Raises InputError(s) naming `targets.stages[i]` and its line.

    Written sizes must grow: two counts (or two percentages) in a row that do not are refused
    here; a count next to a percentage is compared once the candidates are known.
    """
    items = node.as_list()
    if not items:
        raise node.error('must list at least one stage (e.g. [1, 2, "50%", "100%"])')
    if len(items) > MAX_STAGES:
        raise node.error(f"at most {MAX_STAGES} stages, got {len(items)}")
    errors: list[InputError] = []
    stages: list[tuple[Node, StageSize]] = []
    for item in items:
        try:
            stages.append((item, _read_stage(item)))
        except InputError as exc:
            errors.append(exc)
    errors += _growth_errors(stages)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)
    return tuple(stage for _, stage in stages)


def _read_stage(node: Node) -> StageSize:
    text = node.as_str().strip()
    if text.endswith("%"):
        try:
            value = float(text[:-1])
        except ValueError:
            raise node.error(f'{text!r} is not a percentage (write e.g. "50%")') from None
        if not (math.isfinite(value) and 0 < value <= 100):
            raise node.error(f"a percentage must be more than 0% and at most 100%, got {text}")
        return StageSize(percentage=value, line=node.line)
    if not text.isdigit():
        raise node.error(
            f'expected a number of hosts (1, 2, …) or a percentage in quotes ("50%"), got {text!r}'
        )
    count = int(text)
    if not 1 <= count <= MAX_COUNT:
        raise node.error(f"a stage has between 1 and {MAX_COUNT} hosts, got {count}")
    return StageSize(count=count, line=node.line)


def _growth_errors(stages: Sequence[tuple[Node, StageSize]]) -> list[InputError]:
    errors = []
    for (_, before), (node, stage) in itertools.pairwise(stages):
        same_kind = (before.count is None) == (stage.count is None)
        if not same_kind:
            continue
        if stage.count is not None and before.count is not None and stage.count <= before.count:
            errors.append(
                node.error(
                    f"{stage.text} is not larger than the stage before ({before.text}): "
                    "each stage is the cumulative blast radius and must add at least one host"
                )
            )
        if (
            stage.percentage is not None
            and before.percentage is not None
            and stage.percentage <= before.percentage
        ):
            errors.append(
                node.error(
                    f"{stage.text} is not larger than the stage before ({before.text}): "
                    "each stage is the cumulative blast radius and must grow"
                )
            )
    return errors


def stage_sizes(stages: Sequence[StageSize], candidates: int, where: str = "") -> tuple[int, ...]:
    """Host counts of each stage, given the number of candidate hosts.

    A percentage rounds up (34% of 3 is 2) and every stage has at least one host more than the
    one before (so `[1, "10%"]` on 5 candidates is 1 then 2). Raises `PlanError` naming the
    stage (`where` is the scenario file) when the candidates cannot give a stage its hosts.
    """
    sizes: list[int] = []
    for index, stage in enumerate(stages):
        wanted = _size(stage, candidates)
        size = max(wanted, sizes[-1] + 1 if sizes else 1)
        if size > candidates:
            place = f"{where}:{stage.line}: " if where else ""
            why = (
                f"stage {index + 1} ({stage.text}) needs {size} hosts"
                + (f" (one more than stage {index})" if size != wanted else "")
                + f" but only {candidates} candidate{'s' if candidates != 1 else ''} "
                "match the selection"
            )
            raise PlanError(f"{place}targets.stages[{index}]: {why}")
        sizes.append(size)
    return tuple(sizes)


def _size(stage: StageSize, candidates: int) -> int:
    if stage.percentage is not None:
        exact = Fraction(repr(float(stage.percentage))) * candidates / 100
        return max(1, math.ceil(exact))
    return stage.count or 1
