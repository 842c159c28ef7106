"""Files the lab writes, rendered from plain values (pure functions: text in, text out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from gameday.lab import model


@dataclass(frozen=True)
class HostPlan:
    index: int
    name: str
    address: str
    zone: str


def sshd_config(address: str, host_key: str, authorized_keys: str) -> str:
    """A self-contained sshd_config (no Include of the system's): key login as root only."""
    return "\n".join(
        [
            "# Written by `gameday lab`: one lab host's sshd.",
            f"ListenAddress {address}:{model.SSH_PORT}",
            f"HostKey {host_key}",
            "PidFile none",
            f"AuthorizedKeysFile {authorized_keys}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            # The lab directory may live anywhere the user chose; its owner is root already.
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "X11Forwarding no",
            "PermitUserEnvironment no",
            # Drills and tests fan out to every host at once.
            "MaxStartups 200:30:400",
            "MaxSessions 100",
            "LogLevel VERBOSE",
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def node_exporter_argv(binary: str, address: str) -> list[str]:
    """A lean set of collectors: what drills look at, cheap enough to scrape every second."""
    collectors = ("cpu", "meminfo", "loadavg", "filesystem", "netdev", "stat", "pressure")
    return [
        binary,
        f"--web.listen-address={address}:{model.NODE_EXPORTER_PORT}",
        "--collector.disable-defaults",
        *(f"--collector.{name}" for name in collectors),
    ]


def prometheus_config(hosts: Sequence[HostPlan], prometheus_port: int, loadgen_port: int) -> str:
    def per_host(port: int) -> list[dict[str, Any]]:
        return [{"targets": [f"{h.address}:{port}"], "labels": {"host": h.name}} for h in hosts]

    document = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "900ms", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": "node", "static_configs": per_host(model.NODE_EXPORTER_PORT)},
            {"job_name": "shop", "static_configs": per_host(model.SHOP_PORT)},
            {
                # The loadgen's own `host` label (the host it sends to) must win.
                "job_name": "loadgen",
                "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{loadgen_port}"]}],
            },
            {
                "job_name": "prometheus",
                "static_configs": [{"targets": [f"127.0.0.1:{prometheus_port}"]}],
            },
        ],
    }
    return "# Written by `gameday lab`.\n" + yaml.safe_dump(document, sort_keys=False)


def inventory(
    lab: str,
    hosts: Sequence[HostPlan],
    key: str,
    known_hosts: str,
    prometheus_url: str,
) -> str:
    document = {
        "known_hosts": known_hosts,
        "prometheus": {"url": prometheus_url},
        "hosts": {
            h.name: {
                "address": h.address,
                "port": model.SSH_PORT,
                "user": "root",
                "identity_file": key,
                "tags": {"role": "web", "env": "lab", "zone": h.zone, "lab": lab},
            }
            for h in hosts
        },
        "groups": {
            "web": [h.name for h in hosts],
            "zone_a": [h.name for h in hosts if h.zone == "a"],
            "zone_b": [h.name for h in hosts if h.zone == "b"],
        },
    }
    header = (
        f"# Inventory of the gameday lab {lab!r}, written by `gameday lab up`.\n"
        "# Host keys are checked against known_hosts below; nothing is auto-accepted.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, width=100)


def known_hosts(entries: Sequence[tuple[str, str]]) -> str:
    """`address key-type key` lines from (address, public key line) pairs."""
    lines = []
    for address, public_key in entries:
        key_type, key_data = public_key.split()[:2]
        lines.append(f"{address} {key_type} {key_data}")
    return "\n".join(lines) + "\n"


# --- lab scenarios ---------------------------------------------------------------------------

ERROR_RATE = (
    "100 * sum(rate(loadgen_errors_total[10s]))"
    " / clamp_min(sum(rate(loadgen_requests_total[10s])), 1)"
)
P99_MS = (
    "1000 * histogram_quantile(0.99,"
    " sum by (le) (rate(loadgen_request_duration_seconds_bucket[10s])))"
)
SHOP_UP = 'count(up{job="shop"} == 1)'


def _probes(error_max: float, p99_max: float, hosts_min: int | None = None) -> list[dict[str, Any]]:
    probes: list[dict[str, Any]] = [
        {"name": "error_rate", "prometheus": ERROR_RATE, "unit": "%", "max": error_max},
        {"name": "p99_latency", "prometheus": P99_MS, "unit": "ms", "max": p99_max},
    ]
    if hosts_min is not None:
        probes.append({"name": "shops_up", "prometheus": SHOP_UP, "min": hosts_min})
    return probes


def _scenario(
    lab: str,
    ident: str,
    title: str,
    hypothesis: str,
    faults: list[dict[str, Any]],
    *,
    probes: list[dict[str, Any]],
    abort_error: float,
    duration: str = "30s",
    description: str = "",
) -> dict[str, Any]:
    return {
        "id": ident,
        "title": title,
        "description": description or f"A drill on the gameday lab {lab!r}.",
        "hypothesis": hypothesis,
        "targets": {"select": {"tags": {"lab": lab}}, "count": 1, "max_concurrent": 1, "seed": 7},
        "steady_state": {"interval": "2s", "probes": probes},
        "faults": faults,
        "schedule": {"warmup": "5s", "duration": duration, "cooldown": "10s"},
        "abort_when": [
            {"probe": "error_rate", "above": abort_error, "for": 3},
            {"no_data": 5},
        ],
    }


def _ladder(lab: str, host_count: int, share: float) -> dict[str, Any]:
    """A blast-radius ladder: one node cut, then two, then all, while the error rate holds.

    The bound sits between one node's share of requests and two nodes' share, so on the lab
    the first stage holds and the second breaks (the ladder stops there, exit status 1)."""
    between = min(100.0, round(share * 1.5, 1))
    stages: list[Any] = [1, 2, "100%"] if host_count > 2 else [1, "100%"][: max(host_count, 1)]
    document = _scenario(
        lab,
        "lab-partition-ladder",
        "Losing nodes one stage at a time",
        f"With nodes cut off from the network, at most {between:g}% of requests fail: one node "
        "is absorbed, and the ladder finds out how many are too many.",
        [{"kind": "network_partition", "name": "cut the stage's nodes", "direction": "ingress"}],
        probes=_probes(between, 2500),
        abort_error=min(100.0, round(share * 2 + 25, 1)),
        duration="20s",
        description=(
            f"A ladder on the gameday lab {lab!r}: stage 1 cuts one node, stage 2 two, the last "
            "every node, each injected, watched for 20 s and reverted before the next, and the "
            "next only while the steady state held."
        ),
    )
    document["targets"] = {"select": {"tags": {"lab": lab}}, "stages": stages, "seed": 7}
    return document


def scenarios(lab: str, host_count: int) -> dict[str, str]:
    """File name → scenario YAML. Every scenario targets one lab host (count: 1), but the
    ladder, which climbs from one host to all of them."""
    share = 100.0 / max(host_count, 1)
    # One host of N lost: about 1/N of all requests fail. Allow that much, abort well above.
    lose_one = min(100.0, round(share + 5, 1))
    abort_one = min(100.0, round(share + 25, 1))
    documents = {
        "partition-one-node.yaml": _scenario(
            lab,
            "lab-partition-one-node",
            "The shop fleet survives losing one node",
            "With one node cut off from the network (SSH excepted), only that node's share of "
            f"requests fails (about {share:.0f}%), and the other nodes keep p99 under 1 s.",
            [{"kind": "network_partition", "name": "cut one node", "direction": "ingress"}],
            probes=_probes(lose_one, 1500),
            abort_error=abort_one,
        ),
        "kill-shop.yaml": _scenario(
            lab,
            "lab-kill-shop",
            "A killed shop process comes back by itself",
            "The host's supervisor restarts the shop within about a second, so the error rate "
            "stays under 5% and the shop is back before the fault ends.",
            [
                {
                    "kind": "process_kill",
                    "name": "kill the shop",
                    "process": "shop",
                    "signal": "KILL",
                }
            ],
            probes=_probes(5, 1500, hosts_min=host_count - 1),
            abort_error=abort_one,
            duration="20s",
        ),
        "cpu-stress.yaml": _scenario(
            lab,
            "lab-cpu-stress",
            "CPU pressure on one node keeps latency in bounds",
            "With one CPU worker at 90% on a node, p99 latency stays under 500 ms and nothing "
            "fails.",
            [{"kind": "cpu_stress", "name": "burn one CPU", "workers": 1, "load": 90}],
            probes=_probes(1, 500),
            abort_error=10,
        ),
        "bandwidth-limit.yaml": _scenario(
            lab,
            "lab-bandwidth-limit",
            "A slow link on one node shows up in latency, not errors",
            "With one node's egress limited to 256 kbit/s, requests to it slow down but the "
            "fleet error rate stays under 2%.",
            [
                {
                    "kind": "bandwidth",
                    "name": "thin pipe",
                    "rate": "256kbit",
                    "burst": "16K",
                    "interface": "eth0",
                }
            ],
            probes=_probes(2, 2500),
            abort_error=abort_one,
        ),
        "disk-fill.yaml": _scenario(
            lab,
            "lab-disk-fill",
            "A full scratch disk does not hurt the shop",
            "Filling /var/tmp (a 64 MiB tmpfs on each lab host) to near full leaves the shop "
            "serving normally.",
            [
                {
                    "kind": "disk_fill",
                    "name": "fill /var/tmp",
                    "path": "/var/tmp",
                    "size": "48M",
                    "keep_free": "8M",
                }
            ],
            probes=_probes(1, 500),
            abort_error=10,
        ),
        "pause-shop.yaml": _scenario(
            lab,
            "lab-pause-shop",
            "A frozen shop process is noticed",
            "A shop process stopped with SIGSTOP answers nothing: its share of requests times "
            f"out (about {share:.0f}%). This drill is about seeing it, then recovering.",
            [{"kind": "process_pause", "name": "freeze the shop", "process": "shop"}],
            probes=_probes(lose_one, 1500),
            abort_error=abort_one,
            duration="20s",
        ),
        "latency-no-netem.yaml": _scenario(
            lab,
            "lab-latency",
            "Added latency on one node (needs tc netem)",
            "With 100 ms added on one node, p99 stays under 400 ms. On a kernel without netem "
            "this scenario must stop at preflight with a clear message, before anything runs.",
            [
                {
                    "kind": "network_latency",
                    "name": "slow network",
                    "delay": "100ms",
                    "jitter": "10ms",
                    "interface": "eth0",
                }
            ],
            probes=_probes(1, 400),
            abort_error=10,
        ),
    }
    documents["partition-ladder.yaml"] = _ladder(lab, host_count, share)
    header = f"# A lab scenario for the gameday lab {lab!r}, written by `gameday lab up`.\n"
    return {
        file: header + yaml.safe_dump(doc, sort_keys=False, width=100)
        for file, doc in documents.items()
    }


def usage(info: model.LabInfo) -> str:
    """What `lab up` prints: how to reach the hosts, the metrics, and the scenarios."""
    first = info.hosts[0]
    lines = [
        f"Lab {info.name!r} is up in {info.dir}: {len(info.hosts)} hosts on {info.subnet}.",
        "",
        "  host      address",
        *(f"  {h.name:<9} {h.address}" for h in info.hosts),
        "",
        "SSH into a host (host keys are verified against the lab's known_hosts):",
        f"  ssh -i {info.key} -o UserKnownHostsFile={info.known_hosts} root@{first.address}",
        "",
        f"Prometheus: {info.prometheus_url}  (scrapes every 1 s; label host=lab-N)",
        f"  e.g. {info.prometheus_url}/graph?g0.expr=sum%20by%20(host)%20"
        "(rate(loadgen_errors_total%5B15s%5D))",
        f"Load generator metrics: {info.loadgen_url}/metrics",
        "",
        f"Inventory: {info.inventory}",
        f"Scenarios: {info.scenarios_dir}/",
        f"  gameday preview {info.scenarios_dir}/partition-one-node.yaml -i {info.inventory}",
        f"  gameday run {info.scenarios_dir}/kill-shop.yaml -i {info.inventory}",
        "",
        f"Status: gameday lab status --dir {info.dir}",
        f"Tear down: gameday lab down --dir {info.dir}",
    ]
    return "\n".join(lines)
