"""Sends a session's notifications: JSON webhooks, Slack incoming webhooks, command hooks.

`Notifier` is a session listener. Called from engine threads, it only puts the event on a
queue and returns, so an inject, a revert or the kill switch never waits for a notification.
A dispatcher thread turns events into notices (gameday.core.notify); each target has its own
sender thread, so one hanging receiver delays nobody else. Each attempt has a short timeout,
attempts are bounded, and a notification that could not be delivered is journaled
(`notification_failed`, through `record`) and so shown by the printer and the console.
`close(wait)` lets pending notifications go for at most `wait` seconds, then journals what is
left as not delivered; sender threads are daemons and never keep the process alive.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from gameday.core.formats.inventory import NotifyTarget
from gameday.core.notify import (
    Notice,
    NoticeMaker,
    command_input,
    mask,
    slack_body,
    target_secrets,
    webhook_body,
)
from gameday.core.session import events as ev

_LOOPBACK = ("127.", "localhost", "::1", "[::1]")
_STOP = object()


class NotifyError(Exception):
    """One attempt failed; `retry` says whether another attempt may succeed."""

    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A notification is a POST to one place: a redirect is an error, not a new destination."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST `body`; raises NotifyError (never with the URL in its text: it can be a secret)."""
    host = urlsplit(url).hostname or ""
    # A proxy from the environment is for the outside world; a loopback receiver is here.
    proxies = urllib.request.ProxyHandler({} if host.startswith(_LOOPBACK) else None)
    opener = urllib.request.build_opener(proxies, _NoRedirect())
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", "gameday-notify")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(4096)
    except urllib.error.HTTPError as exc:
        retry = exc.code >= 500 or exc.code == 429
        raise NotifyError(f"HTTP {exc.code} {exc.reason}", retry=retry) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise NotifyError(f"no answer within {timeout:g}s") from None
        raise NotifyError(
            f"cannot connect: {getattr(reason, 'strerror', None) or reason}"
        ) from None
    except TimeoutError:
        raise NotifyError(f"no answer within {timeout:g}s") from None
    except OSError as exc:
        raise NotifyError(f"connection failed: {exc.strerror or exc}") from None


def run_hook(argv: Sequence[str], stdin: bytes, timeout: float) -> None:
    """Run the command with the event on stdin (no shell); raises NotifyError."""
    try:
        done = subprocess.run(  # noqa: S603 (the inventory owner's argv, run without a shell)
            list(argv),
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
            start_new_session=True,  # Ctrl-C on the console's terminal is not the hook's
        )
    except subprocess.TimeoutExpired:
        raise NotifyError(f"the command did not finish within {timeout:g}s") from None
    except OSError as exc:
        raise NotifyError(f"cannot run {argv[0]}: {exc.strerror or exc}", retry=False) from None
    if done.returncode != 0:
        last = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        said = f": {last[-1][:200]}" if last else ""
        raise NotifyError(f"the command exited with status {done.returncode}{said}")


@dataclass
class _Pending:
    notice: Notice
    attempts: int = 0


class _Sender:
    """One target's queue and thread."""

    def __init__(self, target: NotifyTarget, owner: Notifier) -> None:
        self.target = target
        self.owner = owner
        self.secrets = (*target_secrets(target), *owner.extra_secrets)
        self.queue: queue.Queue[_Pending | object] = queue.Queue(maxsize=256)
        self.current: _Pending | None = None
        self.thread = threading.Thread(target=self._loop, name=f"notify-{target.name}", daemon=True)
        self.thread.start()

    def offer(self, notice: Notice) -> None:
        try:
            self.queue.put_nowait(_Pending(notice))
        except queue.Full:
            self.owner.failed(self.target, notice, "too many notifications waiting: dropped", 0)

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            assert isinstance(item, _Pending)
            self.current = item
            self._deliver(item)
            self.current = None

    def _deliver(self, item: _Pending) -> None:
        target = self.target
        reason = ""
        for attempt in range(1, target.attempts + 1):
            item.attempts = attempt
            try:
                self.owner.send(target, item.notice, self.secrets)
                return
            except NotifyError as exc:
                reason = exc.reason
                if not exc.retry or attempt == target.attempts or self.owner.closing:
                    break
                time.sleep(min(self.owner.backoff * 2 ** (attempt - 1), 2.0))
        self.owner.failed(target, item.notice, mask(reason, self.secrets), item.attempts)


class Notifier:
    """Subscribe it to a session: `session.subscribe(notifier)`; `close()` after the run."""

    def __init__(
        self,
        targets: Sequence[NotifyTarget],
        *,
        record: Callable[[ev.Event], object],
        journal_path: str = "",
        extra_secrets: Sequence[str] = (),
        backoff: float = 0.5,
        post: Callable[[str, bytes, dict[str, str], float], None] = post_json,
        hook: Callable[[Sequence[str], bytes, float], None] = run_hook,
    ) -> None:
        self.record = record
        self.extra_secrets = tuple(extra_secrets)
        """Masked in every payload besides each target's own (the inventory's other secrets)."""
        self.backoff = backoff
        self.closing = False
        self._post = post
        self._hook = hook
        self._closed = threading.Event()
        self._maker = NoticeMaker(journal_path)
        self._events: queue.Queue[ev.Event | object] = queue.Queue()
        self._senders = [_Sender(t, self) for t in targets]
        self._dispatcher = threading.Thread(target=self._dispatch, name="notify", daemon=True)
        self._dispatcher.start()

    def __call__(self, event: ev.Event) -> None:
        """The session listener: never blocks (an unbounded queue of small objects)."""
        if not isinstance(event, ev.NotificationFailed):
            self._events.put_nowait(event)

    def send(self, target: NotifyTarget, notice: Notice, secrets: tuple[str, ...]) -> None:
        """One attempt to one target (raises NotifyError)."""
        if target.kind == "command":
            self._hook(target.command, command_input(notice, secrets), target.timeout)
            return
        assert target.url is not None
        body = (
            slack_body(notice, secrets) if target.kind == "slack" else webhook_body(notice, secrets)
        )
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {name: value.reveal() for name, value in target.headers.items()}
        self._post(target.url.reveal(), data, headers, target.timeout)

    def failed(self, target: NotifyTarget, notice: Notice, reason: str, attempts: int) -> None:
        """Journal a notification that was not delivered (unless the journal is closed)."""
        if self._closed.is_set():
            return
        try:
            self.record(
                ev.NotificationFailed(
                    target=target.name, event=notice.event, reason=reason, attempts=attempts
                )
            )
        except Exception:  # a closed or full journal: the notification is lost either way
            return

    def close(self, wait: float = 5.0) -> None:
        """Give pending notifications up to `wait` seconds; journal what is left undelivered."""
        deadline = time.monotonic() + wait
        self._events.put(_STOP)
        self._dispatcher.join(max(0.0, deadline - time.monotonic()))
        for sender in self._senders:
            sender.queue.put(_STOP)
        for sender in self._senders:
            sender.thread.join(max(0.0, deadline - time.monotonic()))
        self.closing = True
        for sender in self._senders:
            if sender.thread.is_alive():
                self._abandon(sender, wait)
        self._closed.set()

    def _abandon(self, sender: _Sender, wait: float) -> None:
        left = [sender.current] if sender.current is not None else []
        while True:
            try:
                item = sender.queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Pending):
                left.append(item)
        for item in left:
            self.failed(
                sender.target,
                item.notice,
                f"not delivered within {wait:g}s of the session's end: gave up",
                item.attempts,
            )

    def _dispatch(self) -> None:
        while True:
            event = self._events.get()
            if event is _STOP:
                return
            assert isinstance(event, ev.Event)
            for notice in self._maker(event):
                for sender in self._senders:
                    if notice.event in sender.target.events:
                        sender.offer(notice)
