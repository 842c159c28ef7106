# ruff: noqa: E501  (golden command lines are as long as the commands)
"""Golden plans: the exact lines each fault kind runs, for one example of each kind.

Lines are shown as `reference.display` shows them: `sh> SCRIPT` is the line
`sh -c 'SCRIPT'` (that form is lossless, see the test below). If a change here is intended,
update the golden text and docs/faults.md together (the doc test checks they agree);
`python -m gameday.core.faults.reference` prints the current blocks.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from gameday.core.faults import FaultPlan, HostContext, parse_fault
from gameday.core.faults.reference import EXAMPLES, display, display_plan
from gameday.core.shell import render
from gameday.core.yamlsrc import load_yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "faults.md"
HOST = HostContext("web-1")
GOLDEN = r"""
## network_partition
capability: sh> for t in iptables:iptables; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: iptables -w 5 -S INPUT
inject: iptables -w 5 -N GAMEDAY-f1a2b3c4-in
inject: iptables -w 5 -A GAMEDAY-f1a2b3c4-in -i lo -j RETURN
inject: iptables -w 5 -A GAMEDAY-f1a2b3c4-in -p tcp --dport 22 -j RETURN
inject: iptables -w 5 -A GAMEDAY-f1a2b3c4-in -s 10.0.0.0/24 -p tcp --dport 8080 -j DROP
inject: iptables -w 5 -A GAMEDAY-f1a2b3c4-in -s 10.0.0.0/24 -p tcp --dport 8443 -j DROP
inject: iptables -w 5 -I INPUT 1 -j GAMEDAY-f1a2b3c4-in
verify_active: iptables -w 5 -S GAMEDAY-f1a2b3c4-in
verify_active: iptables -w 5 -C INPUT -j GAMEDAY-f1a2b3c4-in
revert: sh> for _ in 1 2 3 4 5 6 7 8; do iptables -w 5 -D INPUT -j GAMEDAY-f1a2b3c4-in 2>/dev/null || break; done; iptables -w 5 -F GAMEDAY-f1a2b3c4-in 2>/dev/null; iptables -w 5 -X GAMEDAY-f1a2b3c4-in 2>/dev/null; true
verify_reverted: sh> rules=$(iptables -w 5 -S) && ! printf '%s\n' "$rules" | grep -q -F -e GAMEDAY-f1a2b3c4-
## network_latency
capability: sh> for t in tc:iproute2 unshare:util-linux; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> unshare -n true >/dev/null 2>&1 || { printf '%s\n' 'cannot create a scratch network namespace (unshare -n) to test for netem' >&2; exit 1; }
capability: sh> unshare -n tc qdisc add dev lo root netem delay 1ms >/dev/null 2>&1 || { printf '%s\n' 'kernel has no netem (sch_netem): latency and loss faults cannot run on this host' >&2; exit 1; }
capability: sh> out=$(tc qdisc show dev eth0) || exit 1; root=; set -f; set -- $out; while [ $# -ge 4 ]; do if [ "$1" = qdisc ] && [ "$4" = root ] && [ "$3" != 0: ]; then root="$2 $3"; break; fi; shift; done; [ -z "$root" ] || { printf '%s already has a root qdisc (%s); gameday will not replace it\n' eth0 "$root" >&2; exit 1; }
inject: tc qdisc add dev eth0 root handle 673a: htb default 2
inject: tc class add dev eth0 parent 673a: classid 673a:1 htb rate 10gbit quantum 60000
inject: tc class add dev eth0 parent 673a: classid 673a:2 htb rate 10gbit quantum 60000
inject: tc qdisc add dev eth0 parent 673a:2 handle 683a: netem delay 100ms 10ms
inject: tc filter add dev eth0 parent 673a: protocol ip prio 1 u32 match ip sport 22 0xffff flowid 673a:1
inject: tc filter add dev eth0 parent 673a: protocol ip prio 1 u32 match ip dport 22 0xffff flowid 673a:1
inject: tc filter add dev eth0 parent 673a: protocol ipv6 prio 2 u32 match ip6 sport 22 0xffff flowid 673a:1
inject: tc filter add dev eth0 parent 673a: protocol ipv6 prio 2 u32 match ip6 dport 22 0xffff flowid 673a:1
verify_active: sh> out=$(tc qdisc show dev eth0) && printf '%s\n' "$out" | grep -q -F -e 'qdisc htb 673a: root' && printf '%s\n' "$out" | grep -q -F -e 'qdisc netem 683a: parent 673a:2' && tc filter show dev eth0 parent 673a: | grep -q -F -e 'flowid 673a:1'
revert: sh> if tc qdisc show dev eth0 2>/dev/null | grep -q -F -e 'qdisc htb 673a: root'; then tc qdisc del dev eth0 root handle 673a:; fi
verify_reverted: sh> out=$(tc qdisc show dev eth0) && ! printf '%s\n' "$out" | grep -q -F -e 'qdisc htb 673a: root'
## packet_loss
capability: sh> for t in tc:iproute2 unshare:util-linux; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> unshare -n true >/dev/null 2>&1 || { printf '%s\n' 'cannot create a scratch network namespace (unshare -n) to test for netem' >&2; exit 1; }
capability: sh> unshare -n tc qdisc add dev lo root netem delay 1ms >/dev/null 2>&1 || { printf '%s\n' 'kernel has no netem (sch_netem): latency and loss faults cannot run on this host' >&2; exit 1; }
capability: sh> out=$(tc qdisc show dev eth0) || exit 1; root=; set -f; set -- $out; while [ $# -ge 4 ]; do if [ "$1" = qdisc ] && [ "$4" = root ] && [ "$3" != 0: ]; then root="$2 $3"; break; fi; shift; done; [ -z "$root" ] || { printf '%s already has a root qdisc (%s); gameday will not replace it\n' eth0 "$root" >&2; exit 1; }
inject: tc qdisc add dev eth0 root handle 673a: htb default 2
inject: tc class add dev eth0 parent 673a: classid 673a:1 htb rate 10gbit quantum 60000
inject: tc class add dev eth0 parent 673a: classid 673a:2 htb rate 10gbit quantum 60000
inject: tc qdisc add dev eth0 parent 673a:2 handle 683a: netem loss 2.5%
inject: tc filter add dev eth0 parent 673a: protocol ip prio 1 u32 match ip sport 22 0xffff flowid 673a:1
inject: tc filter add dev eth0 parent 673a: protocol ip prio 1 u32 match ip dport 22 0xffff flowid 673a:1
inject: tc filter add dev eth0 parent 673a: protocol ipv6 prio 2 u32 match ip6 sport 22 0xffff flowid 673a:1
inject: tc filter add dev eth0 parent 673a: protocol ipv6 prio 2 u32 match ip6 dport 22 0xffff flowid 673a:1
verify_active: sh> out=$(tc qdisc show dev eth0) && printf '%s\n' "$out" | grep -q -F -e 'qdisc htb 673a: root' && printf '%s\n' "$out" | grep -q -F -e 'qdisc netem 683a: parent 673a:2' && tc filter show dev eth0 parent 673a: | grep -q -F -e 'flowid 673a:1'
revert: sh> if tc qdisc show dev eth0 2>/dev/null | grep -q -F -e 'qdisc htb 673a: root'; then tc qdisc del dev eth0 root handle 673a:; fi
verify_reverted: sh> out=$(tc qdisc show dev eth0) && ! printf '%s\n' "$out" | grep -q -F -e 'qdisc htb 673a: root'
## bandwidth
capability: sh> for t in tc:iproute2 ip:iproute2; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; out=$(tc qdisc show dev "$dev") || exit 1; root=; set -f; set -- $out; while [ $# -ge 4 ]; do if [ "$1" = qdisc ] && [ "$4" = root ] && [ "$3" != 0: ]; then root="$2 $3"; break; fi; shift; done; [ -z "$root" ] || { printf '%s already has a root qdisc (%s); gameday will not replace it\n' "$dev" "$root" >&2; exit 1; }
capability: sh> mkdir -p -m 0700 /var/lib/gameday && [ -w /var/lib/gameday ] || { printf '%s\n' 'cannot create or write the gameday state directory /var/lib/gameday' >&2; exit 1; }
inject: sh> dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; mkdir -p -m 0700 /var/lib/gameday && printf '%s\n' "$dev" > /var/lib/gameday/f1a2b3c4.dev && tc qdisc add dev "$dev" root handle 673a: htb default 2
inject: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; tc class add dev "$dev" parent 673a: classid 673a:1 htb rate 10gbit quantum 60000
inject: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; tc class add dev "$dev" parent 673a: classid 673a:2 htb rate 10gbit quantum 60000
inject: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; tc qdisc add dev "$dev" parent 673a:2 handle 683a: tbf rate 1mbit burst 32768 latency 400ms
inject: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; tc filter add dev "$dev" parent 673a: protocol ip prio 1 u32 match ip sport 22 0xffff flowid 673a:1
inject: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; tc filter add dev "$dev" parent 673a: protocol ip prio 1 u32 match ip dport 22 0xffff flowid 673a:1
inject: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; tc filter add dev "$dev" parent 673a: protocol ipv6 prio 2 u32 match ip6 sport 22 0xffff flowid 673a:1
inject: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; tc filter add dev "$dev" parent 673a: protocol ipv6 prio 2 u32 match ip6 dport 22 0xffff flowid 673a:1
verify_active: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; out=$(tc qdisc show dev "$dev") && printf '%s\n' "$out" | grep -q -F -e 'qdisc htb 673a: root' && printf '%s\n' "$out" | grep -q -F -e 'qdisc tbf 683a: parent 673a:2' && tc filter show dev "$dev" parent 673a: | grep -q -F -e 'flowid 673a:1'
revert: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; if tc qdisc show dev "$dev" 2>/dev/null | grep -q -F -e 'qdisc htb 673a: root'; then tc qdisc del dev "$dev" root handle 673a:; fi
verify_reverted: sh> dev=$(cat /var/lib/gameday/f1a2b3c4.dev 2>/dev/null); [ -n "$dev" ] || dev=$(ip -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'); [ -n "$dev" ] || { printf '%s\n' 'no default route on this host: set interface: explicitly' >&2; exit 1; }; out=$(tc qdisc show dev "$dev") && ! printf '%s\n' "$out" | grep -q -F -e 'qdisc htb 673a: root'
cleanup: rm -f /var/lib/gameday/f1a2b3c4.dev
## cpu_stress
capability: sh> for t in stress-ng:stress-ng setsid:util-linux pgrep:procps; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> mkdir -p -m 0700 /var/lib/gameday && [ -w /var/lib/gameday ] || { printf '%s\n' 'cannot create or write the gameday state directory /var/lib/gameday' >&2; exit 1; }
inject: sh> mkdir -p -m 0700 /var/lib/gameday || exit 1; pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); if [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null; then { printf '%s\n' 'the stress-ng of this fault is already running' >&2; exit 1; }; fi; rm -f /var/lib/gameday/f1a2b3c4.pgid; setsid sh -c 'echo $$ > /var/lib/gameday/f1a2b3c4.pgid && exec env GAMEDAY_FAULT=f1a2b3c4 stress-ng --cpu 2 --cpu-load 80 --timeout 120s' >/var/lib/gameday/f1a2b3c4.log 2>&1 </dev/null & i=0; until [ -s /var/lib/gameday/f1a2b3c4.pgid ]; do [ "$i" -ge 50 ] && break; sleep 0.1; i=$((i + 1)); done; [ -s /var/lib/gameday/f1a2b3c4.pgid ] || { printf '%s\n' 'stress-ng did not start; see /var/lib/gameday/f1a2b3c4.log' >&2; exit 1; }
verify_active: sh> pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null
revert: sh> pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); none() { pgrep -g "$pg" '^stress-ng' >/dev/null; [ "$?" -eq 1 ]; }; case $pg in '') ;; 0*|1|*[!0-9]*) { printf '%s\n' '/var/lib/gameday/f1a2b3c4.pgid does not hold a process-group id' >&2; exit 1; };; esac; if [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null; then kill -TERM "-$pg" 2>/dev/null; i=0; until none; do [ "$i" -ge 30 ] && break; sleep 0.1; i=$((i + 1)); done; none || kill -KILL "-$pg" 2>/dev/null; i=0; until none; do [ "$i" -ge 20 ] && break; sleep 0.1; i=$((i + 1)); done; none; fi; for f in $(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ); do p=${f#/proc/}; kill -KILL "${p%/environ}" 2>/dev/null; done; i=0; until [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ]; do [ "$i" -ge 20 ] && break; sleep 0.1; i=$((i + 1)); done; [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ] && rm -f /var/lib/gameday/f1a2b3c4.pgid
verify_reverted: sh> [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ]
cleanup: rm -f /var/lib/gameday/f1a2b3c4.pgid /var/lib/gameday/f1a2b3c4.log
## memory_stress
capability: sh> for t in stress-ng:stress-ng setsid:util-linux pgrep:procps; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> mkdir -p -m 0700 /var/lib/gameday && [ -w /var/lib/gameday ] || { printf '%s\n' 'cannot create or write the gameday state directory /var/lib/gameday' >&2; exit 1; }
capability: sh> avail=$(awk '/^MemAvailable:/ {print $2; exit}' /proc/meminfo); case $avail in ''|*[!0-9]*) { printf '%s\n' 'cannot read MemAvailable from /proc/meminfo' >&2; exit 1; };; esac; if [ "$avail" -lt 786432 ]; then printf 'refusing to hold 512M of memory: %s KiB available, and 256M must stay available\n' "$avail" >&2; exit 1; fi
inject: sh> avail=$(awk '/^MemAvailable:/ {print $2; exit}' /proc/meminfo); case $avail in ''|*[!0-9]*) { printf '%s\n' 'cannot read MemAvailable from /proc/meminfo' >&2; exit 1; };; esac; if [ "$avail" -lt 786432 ]; then printf 'refusing to hold 512M of memory: %s KiB available, and 256M must stay available\n' "$avail" >&2; exit 1; fi; mkdir -p -m 0700 /var/lib/gameday || exit 1; pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); if [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null; then { printf '%s\n' 'the stress-ng of this fault is already running' >&2; exit 1; }; fi; rm -f /var/lib/gameday/f1a2b3c4.pgid; setsid sh -c 'echo $$ > /var/lib/gameday/f1a2b3c4.pgid && exec env GAMEDAY_FAULT=f1a2b3c4 stress-ng --vm 2 --vm-bytes 268435456 --vm-keep --timeout 120s' >/var/lib/gameday/f1a2b3c4.log 2>&1 </dev/null & i=0; until [ -s /var/lib/gameday/f1a2b3c4.pgid ]; do [ "$i" -ge 50 ] && break; sleep 0.1; i=$((i + 1)); done; [ -s /var/lib/gameday/f1a2b3c4.pgid ] || { printf '%s\n' 'stress-ng did not start; see /var/lib/gameday/f1a2b3c4.log' >&2; exit 1; }
verify_active: sh> pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null
revert: sh> pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); none() { pgrep -g "$pg" '^stress-ng' >/dev/null; [ "$?" -eq 1 ]; }; case $pg in '') ;; 0*|1|*[!0-9]*) { printf '%s\n' '/var/lib/gameday/f1a2b3c4.pgid does not hold a process-group id' >&2; exit 1; };; esac; if [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null; then kill -TERM "-$pg" 2>/dev/null; i=0; until none; do [ "$i" -ge 30 ] && break; sleep 0.1; i=$((i + 1)); done; none || kill -KILL "-$pg" 2>/dev/null; i=0; until none; do [ "$i" -ge 20 ] && break; sleep 0.1; i=$((i + 1)); done; none; fi; for f in $(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ); do p=${f#/proc/}; kill -KILL "${p%/environ}" 2>/dev/null; done; i=0; until [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ]; do [ "$i" -ge 20 ] && break; sleep 0.1; i=$((i + 1)); done; [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ] && rm -f /var/lib/gameday/f1a2b3c4.pgid
verify_reverted: sh> [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ]
cleanup: rm -f /var/lib/gameday/f1a2b3c4.pgid /var/lib/gameday/f1a2b3c4.log
## io_stress
capability: sh> for t in stress-ng:stress-ng setsid:util-linux pgrep:procps; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> mkdir -p -m 0700 /var/lib/gameday && [ -w /var/lib/gameday ] || { printf '%s\n' 'cannot create or write the gameday state directory /var/lib/gameday' >&2; exit 1; }
capability: sh> [ -d /srv/data ] || { printf '%s\n' '/srv/data is not a directory on this host' >&2; exit 1; }
inject: sh> mkdir -p -m 0700 /var/lib/gameday || exit 1; mkdir -p /srv/data/.gameday-io-f1a2b3c4 || exit 1; pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); if [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null; then { printf '%s\n' 'the stress-ng of this fault is already running' >&2; exit 1; }; fi; rm -f /var/lib/gameday/f1a2b3c4.pgid; setsid sh -c 'echo $$ > /var/lib/gameday/f1a2b3c4.pgid && exec env GAMEDAY_FAULT=f1a2b3c4 stress-ng --hdd 1 --hdd-bytes 67108864 --temp-path /srv/data/.gameday-io-f1a2b3c4 --timeout 120s' >/var/lib/gameday/f1a2b3c4.log 2>&1 </dev/null & i=0; until [ -s /var/lib/gameday/f1a2b3c4.pgid ]; do [ "$i" -ge 50 ] && break; sleep 0.1; i=$((i + 1)); done; [ -s /var/lib/gameday/f1a2b3c4.pgid ] || { printf '%s\n' 'stress-ng did not start; see /var/lib/gameday/f1a2b3c4.log' >&2; exit 1; }
verify_active: sh> pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null
revert: sh> pg=$(cat /var/lib/gameday/f1a2b3c4.pgid 2>/dev/null); none() { pgrep -g "$pg" '^stress-ng' >/dev/null; [ "$?" -eq 1 ]; }; case $pg in '') ;; 0*|1|*[!0-9]*) { printf '%s\n' '/var/lib/gameday/f1a2b3c4.pgid does not hold a process-group id' >&2; exit 1; };; esac; if [ -n "$pg" ] && pgrep -g "$pg" '^stress-ng' >/dev/null; then kill -TERM "-$pg" 2>/dev/null; i=0; until none; do [ "$i" -ge 30 ] && break; sleep 0.1; i=$((i + 1)); done; none || kill -KILL "-$pg" 2>/dev/null; i=0; until none; do [ "$i" -ge 20 ] && break; sleep 0.1; i=$((i + 1)); done; none; fi; for f in $(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ); do p=${f#/proc/}; kill -KILL "${p%/environ}" 2>/dev/null; done; rm -rf /srv/data/.gameday-io-f1a2b3c4; i=0; until [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ]; do [ "$i" -ge 20 ] && break; sleep 0.1; i=$((i + 1)); done; [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ] && rm -f /var/lib/gameday/f1a2b3c4.pgid
verify_reverted: sh> [ -z "$(grep -l -s -z -x -F -e GAMEDAY_FAULT=f1a2b3c4 /proc/[0-9]*/environ)" ] && [ ! -e /srv/data/.gameday-io-f1a2b3c4 ]
cleanup: rm -f /var/lib/gameday/f1a2b3c4.pgid /var/lib/gameday/f1a2b3c4.log
## disk_fill
capability: sh> for t in fallocate:util-linux df:coreutils; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> [ -d /var/tmp ] || { printf '%s\n' '/var/tmp is not a directory on this host' >&2; exit 1; }; avail=$(df -B1 --output=avail /var/tmp | tail -n 1 | tr -d ' '); case $avail in ''|*[!0-9]*) { printf '%s\n' 'cannot read the free space of /var/tmp' >&2; exit 1; };; esac; if [ "$avail" -lt 1342177280 ]; then printf 'refusing to fill 1G in %s: it has %s bytes free and must keep 256M free\n' /var/tmp "$avail" >&2; exit 1; fi
inject: sh> [ ! -e /var/tmp/.gameday-fill-f1a2b3c4 ] || { printf '%s\n' '/var/tmp/.gameday-fill-f1a2b3c4 already exists' >&2; exit 1; }; [ -d /var/tmp ] || { printf '%s\n' '/var/tmp is not a directory on this host' >&2; exit 1; }; avail=$(df -B1 --output=avail /var/tmp | tail -n 1 | tr -d ' '); case $avail in ''|*[!0-9]*) { printf '%s\n' 'cannot read the free space of /var/tmp' >&2; exit 1; };; esac; if [ "$avail" -lt 1342177280 ]; then printf 'refusing to fill 1G in %s: it has %s bytes free and must keep 256M free\n' /var/tmp "$avail" >&2; exit 1; fi; fallocate -l 1073741824 /var/tmp/.gameday-fill-f1a2b3c4 || { rm -f /var/tmp/.gameday-fill-f1a2b3c4; head -c 1073741824 /dev/zero > /var/tmp/.gameday-fill-f1a2b3c4; } || { rm -f /var/tmp/.gameday-fill-f1a2b3c4; exit 1; }
verify_active: sh> [ -f /var/tmp/.gameday-fill-f1a2b3c4 ] && [ "$(stat -c %s /var/tmp/.gameday-fill-f1a2b3c4)" -ge 1073741824 ]
revert: rm -f /var/tmp/.gameday-fill-f1a2b3c4
verify_reverted: sh> [ ! -e /var/tmp/.gameday-fill-f1a2b3c4 ]
## process_kill
capability: sh> for t in pgrep:procps ps:procps; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> mkdir -p -m 0700 /var/lib/gameday && [ -w /var/lib/gameday ] || { printf '%s\n' 'cannot create or write the gameday state directory /var/lib/gameday' >&2; exit 1; }
capability: sh> pgrep -x nginx >/dev/null || { printf '%s\n' 'no process named nginx is running on this host' >&2; exit 1; }
inject: sh> mkdir -p -m 0700 /var/lib/gameday && pgrep -x nginx > /var/lib/gameday/f1a2b3c4.pids || { printf '%s\n' 'no process named nginx is running on this host' >&2; exit 1; }; pkill -TERM -x nginx
verify_active: sh> [ -s /var/lib/gameday/f1a2b3c4.pids ] || exit 1; i=0; until { alive=; for p in $(cat /var/lib/gameday/f1a2b3c4.pids); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in ""|Z*) ;; *) alive=1 ;; esac; done; [ -z "$alive" ]; }; do [ "$i" -ge 50 ] && break; sleep 0.1; i=$((i + 1)); done; { alive=; for p in $(cat /var/lib/gameday/f1a2b3c4.pids); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in ""|Z*) ;; *) alive=1 ;; esac; done; [ -z "$alive" ]; } || { printf '%s\n' 'a killed nginx process is still alive' >&2; exit 1; }
revert: sh> { up=; for p in $(pgrep -x nginx); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in ""|Z*) ;; *) up=1 ;; esac; done; [ -n "$up" ]; } || { mkdir -p -m 0700 /var/lib/gameday; setsid -f sh -c 'systemctl start nginx' >/var/lib/gameday/f1a2b3c4.restart.log 2>&1 </dev/null; }
verify_reverted: sh> i=0; until { up=; for p in $(pgrep -x nginx); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in ""|Z*) ;; *) up=1 ;; esac; done; [ -n "$up" ]; }; do [ "$i" -ge 100 ] && break; sleep 0.1; i=$((i + 1)); done; { up=; for p in $(pgrep -x nginx); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in ""|Z*) ;; *) up=1 ;; esac; done; [ -n "$up" ]; } || { printf '%s\n' 'nginx did not come back; its restart said:' >&2; tail -n 5 /var/lib/gameday/f1a2b3c4.restart.log >&2; exit 1; }
cleanup: rm -f /var/lib/gameday/f1a2b3c4.pids /var/lib/gameday/f1a2b3c4.restart.log
## process_pause
capability: sh> for t in pgrep:procps ps:procps; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> mkdir -p -m 0700 /var/lib/gameday && [ -w /var/lib/gameday ] || { printf '%s\n' 'cannot create or write the gameday state directory /var/lib/gameday' >&2; exit 1; }
capability: sh> pgrep -x nginx >/dev/null || { printf '%s\n' 'no process named nginx is running on this host' >&2; exit 1; }
inject: sh> mkdir -p -m 0700 /var/lib/gameday && pgrep -x nginx > /var/lib/gameday/f1a2b3c4.paused || { printf '%s\n' 'no process named nginx is running on this host' >&2; exit 1; }; for p in $(cat /var/lib/gameday/f1a2b3c4.paused); do kill -STOP "$p"; done
verify_active: sh> [ -s /var/lib/gameday/f1a2b3c4.paused ] || exit 1; i=0; until { stopped=1; for p in $(cat /var/lib/gameday/f1a2b3c4.paused); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in T*) ;; *) stopped= ;; esac; done; [ -n "$stopped" ]; }; do [ "$i" -ge 20 ] && break; sleep 0.1; i=$((i + 1)); done; { stopped=1; for p in $(cat /var/lib/gameday/f1a2b3c4.paused); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in T*) ;; *) stopped= ;; esac; done; [ -n "$stopped" ]; } || { printf '%s\n' 'not every recorded nginx process is stopped' >&2; exit 1; }
revert: sh> stopped() { for p in $(cat /var/lib/gameday/f1a2b3c4.paused 2>/dev/null) $(pgrep -x nginx); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in T*) echo "$p"; return 0 ;; esac; done; return 1; }; for p in $(cat /var/lib/gameday/f1a2b3c4.paused 2>/dev/null); do kill -CONT "$p" 2>/dev/null; done; for p in $(pgrep -x nginx); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in T*) kill -CONT "$p" ;; esac; done; i=0; until ! stopped >/dev/null; do [ "$i" -ge 10 ] && break; sleep 0.1; i=$((i + 1)); done; ! stopped >/dev/null || { printf 'process %s is still stopped\n' "$(stopped)" >&2; exit 1; }; rm -f /var/lib/gameday/f1a2b3c4.paused
verify_reverted: sh> stopped() { for p in $(cat /var/lib/gameday/f1a2b3c4.paused 2>/dev/null) $(pgrep -x nginx); do s=$(ps -o stat= -p "$p" | tr -d ' '); case $s in T*) echo "$p"; return 0 ;; esac; done; return 1; }; i=0; until ! stopped >/dev/null; do [ "$i" -ge 10 ] && break; sleep 0.1; i=$((i + 1)); done; ! stopped >/dev/null || { printf 'process %s is still stopped\n' "$(stopped)" >&2; exit 1; }
## service_stop
capability: sh> for t in systemctl:systemd; do command -v "${t%%:*}" >/dev/null 2>&1 || { printf '%s is not installed on this host (package %s)\n' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done
capability: sh> [ -d /run/systemd/system ] || { printf '%s\n' 'systemd is not running on this host: service_stop needs it' >&2; exit 1; }
capability: sh> [ "$(systemctl show -p LoadState --value nginx.service)" = loaded ] || { printf '%s\n' 'systemd does not know the unit nginx.service' >&2; exit 1; }
capability: sh> systemctl is-active --quiet nginx.service || { printf '%s\n' 'nginx.service is not active now: stopping it would change nothing' >&2; exit 1; }
inject: systemctl stop nginx.service
verify_active: sh> ! systemctl is-active --quiet nginx.service
revert: systemctl start nginx.service
verify_reverted: systemctl is-active --quiet nginx.service
## custom
inject: sh> touch /tmp/flag
verify_active: sh> test -e /tmp/flag
revert: sh> rm -f /tmp/flag
verify_reverted: true
"""


def _golden() -> dict[str, list[str]]:
    plans: dict[str, list[str]] = {}
    kind = ""
    for line in GOLDEN.strip().splitlines():
        if line.startswith("## "):
            kind = line[3:]
            plans[kind] = []
        else:
            plans[kind].append(line)
    return plans


def _plan(kind: str, ctx: HostContext = HOST) -> FaultPlan:
    return parse_fault(load_yaml("scenario.yaml", EXAMPLES[kind])).plan(ctx, "f1a2b3c4", 120)


def test_every_kind_has_an_example_and_a_golden_plan() -> None:
    from gameday.core.faults import KINDS

    assert set(EXAMPLES) == set(KINDS) == set(_golden())


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_plan_lines_are_exactly_the_golden_ones(kind: str) -> None:
    assert list(display_plan(_plan(kind))) == _golden()[kind]


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_the_display_form_is_lossless(kind: str) -> None:
    for lines in _plan(kind).phases.values():
        for line in lines:
            shown = display(line)
            if shown.startswith("sh> "):
                assert line == render(("sh", "-c", shown[4:]))
            else:
                assert shown == line
            assert render(shlex.split(line)) == line


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_the_reference_doc_shows_the_exact_lines(kind: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert EXAMPLES[kind] in doc, f"docs/faults.md lacks the example of {kind}"
    for line in _golden()[kind]:
        assert line in doc, f"docs/faults.md lacks, for {kind}: {line}"


def test_the_docs_sudo_example_is_what_the_code_renders() -> None:
    spec = parse_fault(load_yaml("s.yaml", "{kind: bandwidth, rate: 1mbit, interface: eth0}"))
    inject = spec.plan(HostContext("web-1", sudo=True), "f1a2b3c4", 120).inject
    assert inject[:2] == (
        "sudo -n tc qdisc add dev eth0 root handle 673a: htb default 2",
        "sudo -n tc class add dev eth0 parent 673a: classid 673a:1 htb rate 10gbit quantum 60000",
    )
    assert "\n".join(inject) in DOC.read_text(encoding="utf-8")


SWEEP_AND_EXTRA = [
    "{kind: network_partition}",
    "{kind: network_partition, peers: ['2001:db8::/32', 10.0.0.0/8], ports: [53], protocol: all}",
    "{kind: process_kill, process: nginx}",
    "{kind: custom, inject: a, revert: b}",
    "{kind: network_latency, delay: 5ms}",
]


def _all_lines() -> list[str]:
    from gameday.core import guard

    lines: list[str] = []
    for text in [*EXAMPLES.values(), *SWEEP_AND_EXTRA]:
        for ctx in (HOST, HostContext("web-1", sudo=True, ssh_port=2222)):
            spec = parse_fault(load_yaml("s.yaml", text))
            for phase in spec.plan(ctx, "f1a2b3c4", 120).phases.values():
                lines.extend(phase)
    traces = guard.parse_traces(
        "trace chain iptables:GAMEDAY-f1a2b3c4-in\ntrace fill /tmp/.gameday-fill-f1a2b3c4\n"
        "trace iodir /tmp/.gameday-io-f1a2b3c4\ntrace qdisc eth0 673a: tbf\n"
        "trace stress 42 stress-ng --cpu 1\n"
        "trace paused 43 /var/lib/gameday/f1a2b3c4.paused\n"
    )
    sweep = (
        guard.traces_script(guard.GuardPaths(), ["/srv/data"]),
        guard.clear_traces_script(traces, guard.GuardPaths()),
    )
    return [*lines, *sweep]


@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_every_line_and_every_script_is_valid_posix_shell(shell: str) -> None:
    import shutil
    import subprocess

    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    for line in _all_lines():
        # the line itself, then the script inside a `[sudo -n] sh -c` line
        checks = [line]
        words = shlex.split(line)
        if "-c" in words and words[words.index("-c") - 1] == "sh":
            checks.append(words[words.index("-c") + 1])
        for text in checks:
            argv = (
                [shell, "--posix", "-n", "-c", text]
                if shell == "bash"
                else [shell, "-n", "-c", text]
            )
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            assert out.returncode == 0, f"{shell} rejects: {text}\n{out.stderr}"
