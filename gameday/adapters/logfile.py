"""Library noise never reaches the terminal: paramiko's logging, Python warnings and stray
thread tracebacks go to one log file per session, `<journal-dir>/<session-id>.log`.

`quiet_libraries()` runs once when `gameday` starts: every log record and warning is routed
through the root logger, which (outside a session) drops them; `session_log(path)` adds the
session's file for the session's lifetime. What a facilitator must know is said by gameday
itself, as one timeline line naming the host.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def quiet_libraries() -> None:
    """Route library logging, warnings and uncaught thread exceptions away from the terminal."""
    logging.captureWarnings(False)  # re-install even if showwarning was replaced since
    logging.captureWarnings(True)
    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())  # never logging.lastResort (stderr)
    root.setLevel(logging.INFO)
    threading.excepthook = _log_thread_exception
    sys.unraisablehook = _log_unraisable


@contextmanager
def session_log(path: Path) -> Iterator[Path]:
    """Append every library log record to `path` while the session runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("gameday.thread").error(
        "uncaught exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
    )


def _log_unraisable(args: sys.UnraisableHookArgs) -> None:
    logging.getLogger("gameday.unraisable").warning(
        "%s: %r", args.err_msg or "unraisable exception", args.object, exc_info=args.exc_value
    )
