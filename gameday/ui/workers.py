"""How the console starts blocking work: always a thread worker owned by the App.

Owned by the App so that the App's one `Worker.StateChanged` handler sees every failure, and
so that leaving a screen never abandons a revert or a journal write half-way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.worker import Worker


def run_io(
    node: DOMNode,
    work: Callable[[], Any],
    *,
    group: str,
    description: str,
    exclusive: bool = False,
) -> Worker[Any]:
    return node.app.run_worker(
        work,
        thread=True,
        group=group,
        description=description,
        exclusive=exclusive,
        exit_on_error=False,
    )
