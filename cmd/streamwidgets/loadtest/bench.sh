#!/usr/bin/env bash
# One load-test run against a fresh node, as docs/PERFORMANCE.md measures:
# starts `serve` with its own data dir and a profiling endpoint on free-ish
# loopback ports, runs `loadtest` against it from a separate process and
# prints the summary, then stops the node and removes its data.
#
#   cmd/streamwidgets/loadtest/bench.sh BINARY NAME [serve flags] -- [loadtest flags]
#   go build -o /tmp/sw ./cmd/streamwidgets
#   cmd/streamwidgets/loadtest/bench.sh /tmp/sw big5000 -- --profile one-big-stream \
#     --viewers 5000 --rate 2 --duration 20s --ramp-up 8s --settle 10s
#
# The node's log is /tmp/bench-NAME.serve.log. Compare two builds by running
# them back to back (old, new, old, new): the figures move with the load.
set -uo pipefail
bin=$1 name=$2
shift 2
serveargs=()
while [[ $# -gt 0 && $1 != -- ]]; do serveargs+=("$1"); shift; done
shift || true
dir=$(mktemp -d /tmp/benchdata.XXXX)
port=$((20000 + RANDOM % 10000)) pp=$((port + 1))
ulimit -n 65000 2>/dev/null || ulimit -n 20000 2>/dev/null || true # 10,000 views need more than 1,024
"$bin" serve --data "$dir" --addr 127.0.0.1:$port --pprof-addr 127.0.0.1:$pp --max-viewers-per-widget 12000 \
  "${serveargs[@]}" >"/tmp/bench-$name.serve.log" 2>&1 &
spid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
echo "== $name serve 127.0.0.1:$port pprof 127.0.0.1:$pp load $(cut -d' ' -f1 /proc/loadavg) $(date -u +%H:%M)"
"$bin" loadtest --data "$dir" --url "http://127.0.0.1:$port" --pprof "http://127.0.0.1:$pp" "$@" 2>&1 |
  grep -v '^t= *[0-9]*s ' | tail -40
kill "$spid"
wait "$spid" 2>/dev/null
rm -rf "$dir"
