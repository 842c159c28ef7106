"""The life of a fault on one host, over a Transport: capability → arm → inject → verify →
lease → revert → verify reverted → disarm.

`FaultRunner` is one host's driver for one session. Its methods never raise for anything that
happens on the host or the connection: each returns a frozen `StepResult` with `ok`, a reason a
facilitator can act on, and timings. A revert that ran but could not be confirmed is
`ok=False, unconfirmed=True` — never a success.

The host protects itself (see gameday.core.guard): before any inject, a record and a dead-man
timer are left on the host and the session's lease watcher starts there (on the session's shell,
which ran the preflight). While the console lives, `heartbeat()` renews the lease; if it dies,
freezes or loses the network, the watcher reverts every fault of the session on that host within
`lease_seconds`. The kill switch is `send_revert` on every host, then `collect_revert`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from gameday.core import guard
from gameday.core.faults import FaultPlan
from gameday.core.guard import holders, launch
from gameday.core.session import lease as lease_words
from gameday.core.wording import unreachable_detail
from gameday.engine.ports import Channel, CommandResult, Transport
from gameday.errors import CommandTimedOut, TransportError

StepName = Literal[
    "capability", "arm", "inject", "verify_active", "revert", "verify_reverted", "lease", "command"
]

DEFAULT_LEASE_SECONDS = 3.0
"""A console silent this long loses its faults: three missed heartbeats at the default 1 s."""


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step of one fault (or of the host's lease) on one host."""

    host: str
    step: StepName
    fault_id: str
    ok: bool
    detail: str = ""
    """Why it failed (the first failing command's stderr, or the transport error), or a note."""
    duration: float = 0.0
    """Seconds the step took, as measured by the console."""
    unconfirmed: bool = False
    """revert only: the revert ran (or may have) but no trace-free state was confirmed."""
    timer: str = ""
    """arm only: `systemd` or `setsid`, the dead-man timer guarding the fault on the host."""
    deadline: int | None = None
    """arm only: when the host's timer fires, in epoch seconds of the host's clock."""
    via: str = ""
    """revert only: `console`, `watcher` (kill switch over the lease channel) or `fallback`."""
    answered: bool = True
    """revert only: False when the host gave no answer (connection lost, timed out)."""


class FaultRunner:
    """Drives faults on one host for one session, over one transport.

    Thread-safety: `heartbeat` may be called from a keeper thread while another thread runs
    steps; the lease channel is guarded by a lock. Other methods are meant for one worker per host.
    """

    def __init__(
        self,
        transport: Transport,
        session_id: str,
        *,
        sudo: bool = False,
        state_dir: str = "/var/lib/gameday",
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        command_timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        holder: str = "",
    ) -> None:
        """Raises ValueError for an unsafe session id or state directory."""
        self.transport = transport
        self.session_id = guard.check_id(session_id, "session id")
        self.sudo = sudo
        self.paths = guard.GuardPaths(state_dir)
        self.lease_seconds = lease_seconds
        self.command_timeout = command_timeout
        self._clock = clock
        self._wall = wall
        self.holder = holder
        """Who runs this session (gameday.core.holders.holder_text), left on the host by the
        lease watcher so another session's preflight can name it."""
        self._last_answer = clock()
        self.lost_by: float | None = None
        """Once the host is lost (no answer for lease + margin): when its own lease reverted
        it, in epoch seconds. From then on nothing waits on this host for long."""
        self.silent_for = 0.0
        """Seconds without an answer when the host was declared lost."""
        self._capability: guard.GuardCapability | None = None
        self._armed: dict[str, FaultPlan] = {}
        """Faults that may have a record or an effect on the host: every revert path sees them."""
        self._guarded: set[str] = set()
        """Faults whose record and timer were confirmed written: only these may be injected."""
        self._lease: Channel | None = None
        self.shell: Channel | None = None
        """The session's shell on the host (`open_shell`) until the launch makes it the lease
        watcher's channel; while it is open, the preflight is one request to it."""
        self.watcher_pid: int | None = None
        """The lease watcher's pid on the host, once started (for drills and tests)."""
        self._lease_lock = threading.Lock()

    @property
    def host(self) -> str:
        return self.transport.host

    @property
    def armed(self) -> Mapping[str, FaultPlan]:
        """Faults armed on this host and not yet confirmed reverted, by fault id."""
        return dict(self._armed)

    # --- capability ---------------------------------------------------------------------------

    def guard_capability(self) -> guard.GuardCapability | StepResult:
        """What the host offers the guard (probed once, then cached); a failed StepResult if the
        probe itself failed (e.g. `sudo -n` needs a password)."""
        if self._capability is not None:
            return self._capability
        started = self._clock()
        try:
            result = self._run(guard.as_root(guard.probe_script(self.paths), sudo=self.sudo), 20.0)
        except TransportError as exc:
            return self._fail("capability", "", exc.problem, started)
        if not result.ok:
            return self._probe_failed(result.stderr, result.status, started)
        self._capability = guard.parse_probe(result.stdout)
        return self._capability

    def check(self, plan: FaultPlan) -> StepResult:
        """Capability: the guard can run here and each of the plan's capability lines exits 0.

        One round trip: the guard's probe (the first time) and every capability line in one
        script. Changes nothing on the host except creating gameday's state directory.
        """
        started = self._clock()
        probe = self._capability is None
        script = launch.preflight_script(plan, self.paths, sudo=self.sudo, probe=probe)
        try:
            result = self._request(script, 20.0)
        except TransportError as exc:
            return self._fail(
                "capability", plan.fault_id if not probe else "", exc.problem, started
            )
        steps = launch.parse_steps(result.stdout.splitlines())
        if probe:
            failed = self._probed(steps.get("probe"), result, started)
            if failed is not None:
                return failed
        assert self._capability is not None
        problems = self._capability.problems()
        if problems:
            return self._fail("capability", plan.fault_id, "; ".join(problems), started)
        for holder in self._capability.held:
            if holder.session != self.session_id:
                return self._fail("capability", plan.fault_id, holders.refusal(holder), started)
        left = self._capability.left_behind(self.session_id)
        if left:
            refusal = guard.left_behind_refusal(*left[0])
            return self._fail("capability", plan.fault_id, refusal, started)
        for index, line in enumerate(plan.capability):
            step = steps.get(f"cap{index}")
            if step is None:
                detail = _reason(result)
                return self._fail("capability", plan.fault_id, detail, started)
            if not step.ok:
                # our checks say what is missing; only a silent failure needs its command shown
                detail = (
                    step.reason() if step.lines else f"exit status {step.status} (from: {line})"
                )
                return self._fail("capability", plan.fault_id, detail, started)
        return self._ok("capability", plan.fault_id, started)

    def _probed(
        self, step: launch.StepOutput | None, result: CommandResult, started: float
    ) -> StepResult | None:
        """Cache the probe's findings; a failed StepResult when the probe did not run."""
        if step is None:  # the script did not get that far (the session's shell: one stream)
            return self._probe_failed(result.stderr or result.stdout, result.status, started)
        if not step.ok:
            return self._probe_failed("\n".join(step.lines), step.status, started)
        self._capability = guard.parse_probe("\n".join(step.lines))
        return None

    def _probe_failed(self, output: str, status: int, started: float) -> StepResult:
        reason = _last_line(output) or f"exit status {status}"
        if self.sudo and "password" in output.lower():
            reason = f"sudo -n needs a password ({reason}); allow passwordless sudo"
        return self._fail("capability", "", f"cannot probe the host: {reason}", started)

    def arm(self, plan: FaultPlan, deadline: float) -> StepResult:
        """Record the fault and start its dead-man timer `deadline` seconds from now (counted on
        the host); start the session's lease watcher on this host if it is not running yet.

        Must succeed before `inject`; a failed arm leaves nothing to revert (a half-written
        record is removed by the next revert or sweep).
        """
        started = self._clock()
        lease = self.start_lease()
        if not lease.ok:
            return self._fail("arm", plan.fault_id, f"no lease: {lease.detail}", started)
        try:
            script = guard.arm_script(plan, self.session_id, deadline, self.paths, now=self.wall())
        except ValueError as exc:
            return self._fail("arm", plan.fault_id, str(exc), started)
        try:
            result = self._run(guard.as_root(script, sudo=self.sudo), 20.0)
        except TransportError as exc:
            self._armed[plan.fault_id] = plan  # it may have been written: revert must see it
            return self._fail("arm", plan.fault_id, exc.problem, started)
        armed = guard.parse_armed(result.stdout)
        if not result.ok or armed is None:
            self._armed[plan.fault_id] = plan
            reason = _reason(result)
            return self._fail("arm", plan.fault_id, f"cannot write the record: {reason}", started)
        return self.armed_step(plan, armed, started)

    def armed_step(self, plan: FaultPlan, armed: tuple[str, int], started: float) -> StepResult:
        """The host said `armed <timer> <deadline>`: the record and timer are written, so the
        fault may be injected now."""
        self.note_armed(plan, guarded=True)
        timer, deadline = armed
        took = self._clock() - started
        return StepResult(
            self.host, "arm", plan.fault_id, True, duration=took, timer=timer, deadline=deadline
        )

    def inject(self, plan: FaultPlan) -> StepResult:
        """Run the inject lines (stopping at the first failure). Refused unless armed.

        On failure the fault is reverted at once (a partial inject must not stay); the result's
        detail says whether that revert was confirmed.
        """
        started = self._clock()
        if plan.fault_id not in self._guarded:
            return self._fail("inject", plan.fault_id, "refused: the fault is not armed", started)
        failure = self._run_all("inject", plan, plan.inject, self.command_timeout, started)
        if failure is None:
            return self._ok("inject", plan.fault_id, started)
        undo = self.revert(plan)
        note = "reverted" if undo.ok else f"revert UNCONFIRMED: {undo.detail}"
        return StepResult(
            self.host,
            "inject",
            plan.fault_id,
            False,
            detail=f"{failure}; {note}",
            duration=self._clock() - started,
        )

    def verify_active(self, plan: FaultPlan) -> StepResult:
        """Each verify_active line exits 0 iff the fault is in effect."""
        started = self._clock()
        failure = self._run_all("verify_active", plan, plan.verify_active, 30.0, started)
        if failure is None:
            return self._ok("verify_active", plan.fault_id, started)
        return self._fail("verify_active", plan.fault_id, f"not in effect: {failure}", started)

    def _run_all(
        self, step: StepName, plan: FaultPlan, lines: Sequence[str], timeout: float, started: float
    ) -> str | None:
        """None when every line exits 0 (one round trip); else the reason."""
        script = guard.all_succeed(lines)
        try:
            result = self._run(guard.as_root(script, sudo=False), timeout)
        except TransportError as exc:
            return exc.problem
        if result.ok:
            return None
        reason = _last_line(result.stderr) or _last_line(result.stdout)
        return reason or f"exit status {result.status}"

    # --- revert ------------------------------------------------------------------------------

    def revert(
        self,
        plan: FaultPlan,
        timeout: float | None = None,
        requester: guard.Requester = "console",
    ) -> StepResult:
        """Revert now, verify it is gone, disarm its timer and drop its record — one round trip.

        Idempotent: safe when the fault is already gone or was never injected. `ok` only when
        confirmed; otherwise `unconfirmed=True` and the host keeps its record for sweep.
        `timeout` (default: the command timeout) bounds the wait for the host's answer.
        """
        started = self._clock()
        script = guard.revert_script(plan, self.paths, requester)
        limit = self.command_timeout if timeout is None else timeout
        if self.lost_by is not None:  # one short attempt: nothing waits on a lost host
            limit = min(limit, lease_words.LOST_RETRY_TIMEOUT)
        try:
            if limit <= 0:
                raise CommandTimedOut(self.host, "no time left to wait for its answer")
            result = self._run(guard.as_root(script, sudo=self.sudo), limit)
        except TransportError as exc:
            if self.lost_by is not None:
                detail = unreachable_detail(self.lost_by)
            else:
                detail = f"{exc.problem} (the host's lease watcher and timer still guard it)"
            failed = self._unconfirmed(plan.fault_id, detail, started, "console")
            return dataclasses.replace(failed, answered=False)
        if result.ok:
            self._armed.pop(plan.fault_id, None)
            self._guarded.discard(plan.fault_id)
            return StepResult(
                self.host,
                "revert",
                plan.fault_id,
                True,
                duration=self._clock() - started,
                via="console",
            )
        reason = _reason(result)
        if result.status == guard.UNCONFIRMED_STATUS:
            detail = f"verify_reverted failed: {reason}"
        else:
            detail = f"the revert did not run to the end (exit status {result.status}): {reason}"
        return self._unconfirmed(plan.fault_id, detail, started, "console")

    # --- lease -------------------------------------------------------------------------------

    def now(self) -> float:
        """The runner's clock (monotonic seconds unless a test gave another)."""
        return self._clock()

    def wall(self) -> float:
        """Wall-clock epoch seconds (what a record's deadline is written in)."""
        return self._wall()

    def has_lease(self) -> bool:
        """True while this session's lease watcher listens on the host."""
        with self._lease_lock:
            return self._lease is not None and self._lease.is_open()

    def lease_command(self) -> str | StepResult:
        """The command line of this session's watcher here (a failed StepResult when the host
        cannot run one)."""
        started = self._clock()
        capability = self.guard_capability()
        if isinstance(capability, StepResult):
            return capability
        if capability.lease_runner is None:
            return self._fail("lease", "", "; ".join(capability.problems()), started)
        return guard.watcher_command(
            capability.lease_runner,
            self.session_id,
            self.lease_seconds,
            self.paths,
            sudo=self.sudo,
            holder=self.holder,
        )

    def adopt_watcher(self, channel: Channel, ready: str) -> bool:
        """Keep `channel` as the lease channel once its watcher said `ready <pid>`."""
        words = ready.split()
        if len(words) != 2 or words[0] != "ready":
            return False
        with self._lease_lock:
            self._lease = channel
            self._last_answer = self._clock()
            self.watcher_pid = int(words[1]) if words[1].isdigit() else None
        return True

    def note_armed(self, plan: FaultPlan, *, guarded: bool) -> None:
        """The fault may have a record (every revert path must see it); `guarded`: its record
        and timer were confirmed written, so it may be injected."""
        self._armed[plan.fault_id] = plan
        if guarded:
            self._guarded.add(plan.fault_id)

    def start_lease(self) -> StepResult:
        """Start this session's lease watcher on the host (no-op when it runs already)."""
        started = self._clock()
        if self.has_lease():
            return self._ok("lease", "", started)
        command = self.lease_command()
        if isinstance(command, StepResult):
            return command
        try:
            channel = self.transport.open_channel(command)
            line = channel.read_line(10.0)
        except TransportError as exc:
            return self._fail(
                "lease", "", f"cannot start the lease watcher: {exc.problem}", started
            )
        if line is None or not self.adopt_watcher(channel, line):
            channel.close()
            return self._fail("lease", "", f"the lease watcher did not start: {line!r}", started)
        return self._ok("lease", "", started)

    def heartbeat(self) -> bool:
        """Renew the lease and take the watcher's answers. False when the host is lost: its
        watcher stopped listening (it has reverted the session's faults on this host, or is
        doing so) or has not answered for `lease + LOST_MARGIN` seconds (the path is gone: its
        lease reverts it). The engine must then treat its faults as reverted by the host.

        Never blocks for long: while a kill switch holds the channel (waiting for the host's
        answer) the beat is skipped, so one slow host cannot starve the others' leases.
        """
        if self.lost_by is not None:
            return False
        if not self._lease_lock.acquire(timeout=0.2):
            return True  # a revert is in progress on this channel: the watcher is busy with it
        try:
            channel = self._lease
            if channel is None:
                return False
            try:
                channel.write_line("hb")
            except TransportError:
                return self._declare_lost(channel)
            alive = self._take_answers(channel)
            silent = self._clock() - self._last_answer
            if not alive or silent > lease_words.lost_after(self.lease_seconds):
                return self._declare_lost(channel)
            return True
        finally:
            self._lease_lock.release()

    def _take_answers(self, channel: Channel) -> bool:
        """Read whatever the watcher said (without waiting); False when it has exited."""
        for _ in range(64):
            try:
                line = channel.read_line(0.0)
            except (CommandTimedOut, TransportError):
                break
            if line is None:
                return False
            self._last_answer = self._clock()
        return channel.is_open()

    def _declare_lost(self, channel: Channel) -> bool:
        """Stop talking to the host: if our lines still reach it, closing the channel makes
        its watcher revert at once; if not, its lease already ran out. Called under the lock."""
        self.silent_for = self._clock() - self._last_answer
        # its watcher last heard us no earlier than we last heard it
        self.lost_by = self._wall() - self.silent_for + self.lease_seconds
        self._lease = None
        self.watcher_pid = None
        channel.close()
        return False

    def send_revert(self, requester: guard.Requester = "kill-switch") -> bool:
        """The first half of the kill switch: ask the watcher to revert everything now (the host's
        history names `requester`). False when there is no open watcher (then `collect_revert`
        falls back to commands)."""
        line = "revert" if requester == "kill-switch" else f"revert {requester}"
        with self._lease_lock:
            channel = self._lease
            if channel is None or self.lost_by is not None:
                return False
            try:
                channel.write_line(line)
            except TransportError:
                return False
            return True

    def collect_revert(self, timeout: float, started: float) -> dict[str, StepResult]:
        """The second half: read the watcher's answer and report every armed fault; faults the
        watcher could not confirm, or all of them when it does not answer, go through
        `revert` over a fresh command (which reports unconfirmed when that fails too)."""
        reply: guard.WatcherReply | None = None
        with self._lease_lock:
            channel = self._lease
            deadline = self._clock() + timeout
            while channel is not None and reply is None:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                try:
                    line = channel.read_line(remaining)
                except (CommandTimedOut, TransportError):
                    break
                if line is None:
                    break
                self._last_answer = self._clock()
                reply = guard.parse_reverted(line)
        outcomes: dict[str, StepResult] = {}
        for fault_id, plan in list(self._armed.items()):
            by_watcher = reply is not None and (
                fault_id in reply.confirmed
                # a guarded fault the watcher no longer finds: its record was removed, which
                # only happens after a confirmed revert (by the timer, say)
                or (fault_id in self._guarded and fault_id not in reply.unconfirmed)
            )
            if by_watcher:
                self._armed.pop(fault_id, None)
                self._guarded.discard(fault_id)
                outcomes[fault_id] = StepResult(
                    self.host,
                    "revert",
                    fault_id,
                    True,
                    duration=self._clock() - started,
                    via="watcher",
                )
            else:
                result = self.revert(plan, max(0.0, deadline - self._clock()))
                outcomes[fault_id] = _with_via(result, "fallback", self._clock() - started)
        return outcomes

    def run(self, command: str, timeout: float) -> StepResult:
        """A plain command (a rollback step); ok iff it exits 0 within `timeout` (at most
        LOST_RETRY_TIMEOUT once the host is lost)."""
        started = self._clock()
        if self.lost_by is not None:
            timeout = min(timeout, lease_words.LOST_RETRY_TIMEOUT)
        try:
            result = self._run(command, timeout)
        except TransportError as exc:
            return self._fail("command", "", exc.problem, started)
        if result.ok:
            return self._ok("command", "", started)
        return self._fail("command", "", _reason(result), started)

    def close(self) -> None:
        """Close the lease channel: the watcher sees end of input and reverts whatever of this
        session is still recorded on the host. Call after every fault was reverted."""
        with self._lease_lock:
            channel, self._lease = self._lease, None
            self.watcher_pid = None
        for open_ in (channel, self.take_shell()):
            if open_ is not None:
                open_.close()

    def open_shell(self) -> None:
        """Open the session's shell on the host (guard.launch.SHELL) unless it or the watcher
        runs; without it, each round trip opens a channel of its own."""
        if self.shell is None and not self.has_lease():
            with contextlib.suppress(TransportError):
                self.shell = self.transport.open_channel(launch.SHELL)

    def take_shell(self) -> Channel | None:
        """The open session shell, handed over (to become the watcher's channel), or None."""
        shell, self.shell = self.shell, None
        return shell if shell and shell.is_open() else None

    # --- helpers -----------------------------------------------------------------------------

    def _run(self, command: str, timeout: float) -> CommandResult:
        return self.transport.run(command, timeout=timeout)

    def _request(self, script: str, timeout: float) -> CommandResult:
        """Run `script` under `sh`, whatever the login shell: one request to the session's shell
        while it is open (both streams in stdout), else a command of its own."""
        shell = self.take_shell()
        if shell is None:
            return self._run(guard.as_root(script, sudo=False), timeout)
        started, lines = self._clock(), list[str]()
        deadline = started + timeout
        try:
            shell.write_line(launch.shell_request(script))
            while (line := shell.read_line(max(0.0, deadline - self._clock()))) is not None:
                if (status := launch.parse_end(line)) is not None:
                    self.shell = shell  # answered whole: it takes the next request
                    took = self._clock() - started
                    return CommandResult(self.host, script, status, "\n".join(lines), "", took)
                lines.append(line)
        finally:
            if self.shell is not shell:
                shell.close()
        raise TransportError(self.host, f"the session's shell ended: {_last_line(lines)!r}")

    def _ok(self, step: StepName, fault_id: str, started: float) -> StepResult:
        return StepResult(self.host, step, fault_id, True, duration=self._clock() - started)

    def _fail(self, step: StepName, fault_id: str, detail: str, started: float) -> StepResult:
        return StepResult(
            self.host, step, fault_id, False, detail=detail, duration=self._clock() - started
        )

    def _unconfirmed(self, fault_id: str, detail: str, started: float, via: str) -> StepResult:
        failed = self._fail("revert", fault_id, detail, started)
        return dataclasses.replace(failed, unconfirmed=True, via=via)


def _with_via(result: StepResult, via: str, duration: float) -> StepResult:
    return dataclasses.replace(result, duration=duration, via=via)


def _reason(result: CommandResult) -> str:
    """What went wrong, in the command's last words (the session's shell has one stream)."""
    return _last_line(result.stderr or result.stdout) or f"exit status {result.status}"


def _last_line(text: str | Sequence[str]) -> str:
    lines = text.strip().splitlines() if isinstance(text, str) else text
    found = [line for line in lines if line.strip()]
    return found[-1].strip() if found else ""
