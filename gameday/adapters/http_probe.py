"""Synthetic HTTP checks run by the console: a few GETs per sample, latency and error ratio.

Each sample sends `probe.requests` GET requests to `probe.url` at the same time, each with the
probe's timeout, and waits for them all (at most the timeout plus a quarter second). A request
*succeeds* when its status is in `expect_status` (redirects are not followed: a 301 is a 301)
and, if `body_contains` is set, the body (first 1 MiB) contains that text.

The measured numbers, of which `probe.measure` picks one:
- `latency_p50`, `latency_p95`, `latency_max`: milliseconds from sending the request (a fresh
  connection each time, as a new client would) to the last byte of the body, nearest-rank
  percentiles over the requests that got an answer (any status). A request that timed out counts
  as the timeout itself (a lower bound), so a hanging endpoint can never look fast. A request
  that got no answer at all (connection refused, reset, DNS) has no latency; when no request got
  an answer the latency is *no data*.
- `error_ratio`: the percentage (0..100) of the requests that did not succeed. It always has a
  value: when the endpoint is down it is 100.

Environment proxies are ignored: probes measure the path from this console to the service.
"""

from __future__ import annotations

import math
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from typing import IO

from gameday.adapters.bounded import GRACE
from gameday.core.formats.probes import Probe
from gameday.engine.ports import Reading

MEASURES = ("latency_p50", "latency_p95", "latency_max", "error_ratio")
BODY_LIMIT = 1 << 20
"""Bytes of the body read (and searched for `body_contains`) per request."""
_CHUNK = 65536
_USER_AGENT = "gameday-probe/0.1"


@dataclass(frozen=True)
class Outcome:
    """One request's result."""

    ok: bool
    latency_ms: float | None
    """None when the request got no answer at all (connection refused, reset, DNS)."""
    problem: str = ""
    """Why it did not succeed, e.g. `HTTP 503`, `timeout`, `connection refused`."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class HttpSource:
    """A `MetricSource` for an `http:` probe."""

    def __init__(self, probe: Probe) -> None:
        if probe.measure not in MEASURES:
            raise ValueError(f"unknown measure {probe.measure!r} (one of {', '.join(MEASURES)})")
        _check_url(probe.url)
        self.name = probe.name
        self._probe = probe
        self._count = max(1, probe.requests)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self._closed = False

    def __repr__(self) -> str:
        return f"HttpSource(name={self.name!r}, url={self._probe.url!r})"

    def sample(self) -> Reading:
        """Send the requests concurrently; a Reading within timeout + 0.25 s, never raises."""
        if self._closed:
            return Reading(None, "source closed")
        try:
            outcomes = self._send_all()
        except Exception as exc:  # a source never raises; say what broke, as no data
            return Reading(None, f"internal error: {type(exc).__name__}")
        return summarize(outcomes, self._probe.measure)

    def close(self) -> None:
        self._closed = True

    def _send_all(self) -> list[Outcome]:
        timeout = self._probe.timeout
        deadline = time.monotonic() + timeout
        results: list[Outcome | None] = [None] * self._count
        threads = []
        for index in range(self._count):
            thread = threading.Thread(
                target=self._send_into,
                args=(results, index, deadline),
                name=f"http-probe-{self.name}",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(max(0.0, deadline + GRACE - time.monotonic()))
        timed_out = Outcome(False, timeout * 1000.0, "timeout")
        return [outcome if outcome is not None else timed_out for outcome in results]

    def _send_into(self, results: list[Outcome | None], index: int, deadline: float) -> None:
        try:
            results[index] = self.send_one(deadline)
        except Exception as exc:  # keep one odd failure from turning into a silent timeout
            results[index] = Outcome(False, None, f"internal error: {type(exc).__name__}")

    def send_one(self, deadline: float) -> Outcome:
        """One GET, bounded by `deadline` (time.monotonic)."""
        timeout_ms = self._probe.timeout * 1000.0
        started = time.monotonic()
        request = urllib.request.Request(
            self._probe.url, headers={"User-Agent": _USER_AGENT}, method="GET"
        )
        try:
            response: IO[bytes] = self._opener.open(request, timeout=_left(deadline))
            status = response.status if isinstance(response, HTTPResponse) else 200
        except urllib.error.HTTPError as exc:  # a status outside 2xx: still an answer
            response, status = exc, exc.code
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return Outcome(False, timeout_ms, "timeout")
            return Outcome(False, None, _reason(exc.reason))
        except TimeoutError:
            return Outcome(False, timeout_ms, "timeout")
        except (OSError, HTTPException, ValueError) as exc:
            return Outcome(False, None, _reason(exc))
        try:
            body = _read_body(response, deadline)
        except TimeoutError:
            return Outcome(False, timeout_ms, "timeout")
        except (OSError, HTTPException) as exc:
            return Outcome(False, None, _reason(exc))
        finally:
            response.close()
        latency_ms = (time.monotonic() - started) * 1000.0
        if latency_ms > timeout_ms:
            return Outcome(False, timeout_ms, "timeout")
        if status not in self._probe.expect_status:
            return Outcome(False, latency_ms, f"HTTP {status}")
        wanted = self._probe.body_contains
        if wanted and wanted.encode() not in body:
            return Outcome(False, latency_ms, "body did not match")
        return Outcome(True, latency_ms)


def _check_url(url: str) -> None:
    """Refuse what urllib would fail on at every poll (ValueError, without echoing secrets)."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be http://HOST/... or https://HOST/...: {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("url must not contain credentials (user:password@)")
    if port == 0:
        raise ValueError(f"url has port 0: {url!r}")


def summarize(outcomes: list[Outcome], measure: str) -> Reading:
    """The Reading for `measure` from one sample's outcomes (see the module docstring)."""
    total = len(outcomes)
    failed = [o for o in outcomes if not o.ok]
    error_ratio = 100.0 * len(failed) / total if total else 100.0
    latencies = sorted(o.latency_ms for o in outcomes if o.latency_ms is not None)
    detail = f"{total - len(failed)}/{total} ok"
    if failed:
        reasons = Counter(o.problem for o in failed)
        detail += "; " + ", ".join(f"{n}× {why}" for why, n in reasons.most_common())
    if latencies:
        detail += (
            f"; p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms"
        )
    if measure == "error_ratio":
        return Reading(error_ratio, detail)
    if not latencies:
        return Reading(None, detail)
    quantile = {"latency_p50": 50.0, "latency_p95": 95.0, "latency_max": 100.0}[measure]
    return Reading(percentile(latencies, quantile), detail)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty list (q in 0..100)."""
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _read_body(response: IO[bytes], deadline: float) -> bytes:
    """Up to BODY_LIMIT bytes, giving up (TimeoutError) at the deadline."""
    chunks: list[bytes] = []
    size = 0
    while size < BODY_LIMIT:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:BODY_LIMIT]


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


def _reason(error: object) -> str:
    """A short, lower-case reason: `connection refused`, `name not known`, `connection reset`."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({error.verify_message or 'verification failed'})"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or error}"[:120]
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror
    elif isinstance(error, BaseException):
        text = str(error) or type(error).__name__
    else:
        text = str(error)
    return (text[0].lower() + text[1:])[:120] if text else "error"
