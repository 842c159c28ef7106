"""The lab's demo web service, "shop": a few realistic endpoints and Prometheus metrics.

Run inside a lab host as `python -m gameday.lab.shop --listen ADDR:PORT --host NAME`. Its
process name (comm) is set to `shop`, so `pgrep -x shop` / a `process_kill` fault finds it.

Metrics (prometheus_client, served on the same port at /metrics):
- `shop_requests_total{endpoint,method,code}`  every request served (not /metrics)
- `shop_errors_total{endpoint}`                responses with status >= 500
- `shop_request_duration_seconds{endpoint}`    server-side latency histogram
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import signal
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from gameday.lab.system import set_process_name

ENDPOINTS = ("/health", "/products", "/products/{id}", "/cart", "/checkout", "other")

REQUESTS = Counter(
    "shop_requests_total", "Requests served by the shop.", ["endpoint", "method", "code"]
)
ERRORS = Counter("shop_errors_total", "Responses with status 5xx.", ["endpoint"])
LATENCY = Histogram(
    "shop_request_duration_seconds",
    "Time to serve one request.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

PRODUCTS = [
    {"id": i, "name": f"product-{i}", "price_cents": 199 + 37 * i, "stock": (i * 7) % 23}
    for i in range(1, 41)
]
_PRODUCT_PATH = re.compile(r"/products/(\d{1,6})")
CHECKOUT_FAILURE_RATIO = 0.002
"""A payment provider that fails now and then: a small, realistic baseline of errors."""


def _work(rounds: int) -> None:
    """A little real CPU per request, so a CPU stress on the host shows up in latency."""
    digest = b"shop"
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()


class ShopHandler(BaseHTTPRequestHandler):
    server_version = "shop/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Access logs would be noise at 20 requests a second."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics" and method == "GET":
            self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
            return
        started = time.perf_counter()
        endpoint, status, body = self._route(method, path)
        payload = json.dumps(body).encode()
        self._send(status, payload, "application/json")
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, method, str(status)).inc()
        if status >= 500:
            ERRORS.labels(endpoint).inc()

    def _route(self, method: str, path: str) -> tuple[str, int, object]:
        self._drain_body()
        if path == "/health":
            return "/health", 200, {"status": "ok", "host": self.server.host_name}  # type: ignore[attr-defined]
        if path == "/products" and method == "GET":
            _work(200)
            return "/products", 200, {"products": PRODUCTS[:20]}
        match = _PRODUCT_PATH.fullmatch(path)
        if match and method == "GET":
            _work(100)
            product_id = int(match.group(1))
            if 1 <= product_id <= len(PRODUCTS):
                return "/products/{id}", 200, PRODUCTS[product_id - 1]
            return "/products/{id}", 404, {"error": "no such product"}
        if path == "/cart" and method == "POST":
            _work(150)
            return "/cart", 201, {"cart": random.randint(1, 10**6), "items": 1}
        if path == "/checkout" and method == "POST":
            _work(400)
            time.sleep(random.uniform(0.005, 0.02))  # the payment provider's round trip
            if random.random() < CHECKOUT_FAILURE_RATIO:
                return "/checkout", 502, {"error": "payment provider unavailable"}
            return "/checkout", 200, {"order": random.randint(1, 10**9), "status": "paid"}
        return "other", 404, {"error": "not found"}

    def _drain_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 65536:
            self.rfile.read(length)

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class ShopServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], host_name: str) -> None:
        self.host_name = host_name
        super().__init__(address, ShopHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup (no DNS inside a lab host: 10 s stall)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.host_name
        self.server_port = self.server_address[1]


def parse_listen(value: str) -> tuple[str, int]:
    address, _, port = value.rpartition(":")
    return address, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shop")
    parser.add_argument("--listen", required=True, help="ADDRESS:PORT")
    parser.add_argument("--host", required=True, help="the lab host name, shown by /health")
    args = parser.parse_args(argv)
    set_process_name("shop")
    for endpoint in ENDPOINTS:  # every series exists from the start: rate() is 0, not empty
        ERRORS.labels(endpoint)
        LATENCY.labels(endpoint)
    server = ShopServer(parse_listen(args.listen), args.host)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.5)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
