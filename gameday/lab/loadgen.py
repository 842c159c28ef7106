"""The lab's load generator: steady, open-loop traffic to every host's shop, measured client-side.

Run as `python -m gameday.lab.loadgen --targets FILE --listen 127.0.0.1:PORT`. FILE is JSON:
`[{"host": "lab-1", "address": "10.213.7.11", "port": 8080}, ...]`.

Open loop: each host gets `--rate` requests a second whatever its answers, so a host that stops
answering shows up as errors (timeouts) at the same rate, not as fewer requests. In-flight
requests per host are bounded; a request that cannot start counts as an `overload` error.

Metrics (prometheus_client, on --listen):
- `loadgen_requests_total{host}`                      requests finished (success or error)
- `loadgen_success_total{host}`                       2xx answers
- `loadgen_errors_total{host,reason}`                 reason: timeout|refused|reset|http_5xx|
                                                      http_4xx|overload|other
- `loadgen_request_duration_seconds{host}`            latency histogram, errors included
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import FrameType

from prometheus_client import Counter, Histogram, start_http_server

REASONS = ("timeout", "refused", "reset", "http_5xx", "http_4xx", "overload", "other")

REQUESTS = Counter("loadgen_requests_total", "Requests finished.", ["host"])
SUCCESS = Counter("loadgen_success_total", "Requests answered with 2xx.", ["host"])
ERRORS = Counter("loadgen_errors_total", "Requests that failed.", ["host", "reason"])
LATENCY = Histogram(
    "loadgen_request_duration_seconds",
    "Client-side request latency, failed requests included.",
    ["host"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)

# (weight, method, path) — a browsing-heavy mix with a few carts and checkouts.
MIX: tuple[tuple[int, str, str], ...] = (
    (55, "GET", "/products"),
    (30, "GET", "/products/{id}"),
    (10, "POST", "/cart"),
    (5, "POST", "/checkout"),
)


@dataclass(frozen=True)
class Target:
    host: str
    address: str
    port: int


def pick_request(rng: random.Random) -> tuple[str, str]:
    roll = rng.randrange(sum(weight for weight, _, _ in MIX))
    for weight, method, path in MIX:
        if roll < weight:
            return method, path.replace("{id}", str(rng.randint(1, 40)))
        roll -= weight
    return "GET", "/health"


def send_one(target: Target, timeout: float, rng: random.Random) -> None:
    """One request on a fresh connection; records its outcome and latency."""
    method, path = pick_request(rng)
    started = time.perf_counter()
    reason: str | None = None
    connection = http.client.HTTPConnection(target.address, target.port, timeout=timeout)
    try:
        body = b'{"item": 1}' if method == "POST" else None
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status >= 500:
            reason = "http_5xx"
        elif response.status >= 400:
            reason = "http_4xx"
    except TimeoutError:
        reason = "timeout"
    except ConnectionRefusedError:
        reason = "refused"
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        reason = "reset"
    except (OSError, http.client.HTTPException):
        reason = "other"
    finally:
        connection.close()
    LATENCY.labels(target.host).observe(time.perf_counter() - started)
    REQUESTS.labels(target.host).inc()
    if reason is None:
        SUCCESS.labels(target.host).inc()
    else:
        ERRORS.labels(target.host, reason).inc()


class HostLoop:
    """Fires `rate` requests a second at one host, with at most `max_in_flight` outstanding."""

    def __init__(
        self, target: Target, rate: float, timeout: float, pool: ThreadPoolExecutor
    ) -> None:
        self.target = target
        self.period = 1.0 / rate
        self.timeout = timeout
        self.pool = pool
        self.max_in_flight = max(2, int(rate * (timeout + 0.5)) + 1)
        self.in_flight = threading.BoundedSemaphore(self.max_in_flight)
        self.rng = random.Random(target.host)

    def run(self, stop: threading.Event) -> None:
        next_at = time.monotonic() + self.rng.uniform(0, self.period)
        while not stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return
            next_at += self.period
            if next_at < time.monotonic() - 1.0:  # after a stall, do not burst to catch up
                next_at = time.monotonic() + self.period
            if not self.in_flight.acquire(blocking=False):
                REQUESTS.labels(self.target.host).inc()
                ERRORS.labels(self.target.host, "overload").inc()
                continue
            self.pool.submit(self._one)

    def _one(self) -> None:
        try:
            send_one(self.target, self.timeout, self.rng)
        finally:
            self.in_flight.release()


def load_targets(path: str) -> list[Target]:
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    return [Target(str(t["host"]), str(t["address"]), int(t["port"])) for t in raw]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gameday-lab-loadgen")
    parser.add_argument("--targets", required=True)
    parser.add_argument("--listen", required=True, help="ADDRESS:PORT for /metrics")
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s per host")
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per request")
    args = parser.parse_args(argv)
    targets = load_targets(args.targets)
    for target in targets:  # every series exists from the start: rate() is 0, not empty
        REQUESTS.labels(target.host)
        SUCCESS.labels(target.host)
        LATENCY.labels(target.host)
        for reason in REASONS:
            ERRORS.labels(target.host, reason)
    address, _, port = args.listen.rpartition(":")
    start_http_server(int(port), addr=address)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    workers = sum(max(2, int(args.rate * (args.timeout + 0.5)) + 1) for _ in targets)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="req") as pool:
        loops = [HostLoop(t, args.rate, args.timeout, pool) for t in targets]
        threads = [
            threading.Thread(target=loop.run, args=(stop,), name=loop.target.host, daemon=True)
            for loop in loops
        ]
        for thread in threads:
            thread.start()
        while not stop.wait(1.0):
            pass
        for thread in threads:
            thread.join(timeout=2.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
