#!/usr/bin/env bash
# streamwidgets and the Centrifugo-like baseline (cmd/centrifuge-baseline)
# under the same load, measured by the same tool, interleaved: streamwidgets,
# centrifuge, streamwidgets, centrifuge, … each against a fresh server
# process (streamwidgets through bench.sh). Prints every run's summary, then
# one line per run side by side. docs/PERFORMANCE.md has the figures.
#
#   cmd/streamwidgets/loadtest/compare.sh [-r ROUNDS] NAME -- [loadtest flags]
#   cmd/streamwidgets/loadtest/compare.sh big5000 -- --profile one-big-stream \
#     --viewers 5000 --rate 2 --duration 20s --ramp-up 8s --settle 10s
#
# ROUNDS (default 2) pairs of runs. Builds both binaries from this checkout
# into a temporary directory. Each run's full output is
# /tmp/compare-NAME-TARGET-N.txt, the baseline's log /tmp/bench-NAME-centrifuge-N.baseline.log.
# The token secret and API key are random per call and passed in
# Centrifugo's environment variables, never on a command line.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rounds=2
if [[ ${1:-} == -r ]]; then rounds=$2; shift 2; fi
if [[ $# -lt 1 || $1 == -* ]]; then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
name=$1
shift
[[ ${1:-} == -- ]] && shift

bin=$(mktemp -d /tmp/compare-bin.XXXX)
trap 'rm -rf "$bin"' EXIT
echo "building streamwidgets and centrifuge-baseline at $(git -C "$root" rev-parse --short HEAD 2>/dev/null)"
(cd "$root" && go build -o "$bin/streamwidgets" ./cmd/streamwidgets && go build -o "$bin/centrifuge-baseline" ./cmd/centrifuge-baseline) || exit 1
CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
CENTRIFUGO_HTTP_API_KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY CENTRIFUGO_HTTP_API_KEY
ulimit -n 65000 2>/dev/null || ulimit -n 20000 2>/dev/null || true # 10,000 views need more than 1,024

# centrifuge_run NAME LOADTEST-FLAGS…: bench.sh's steps for the baseline.
centrifuge_run() {
  local run=$1
  shift
  local port=$((20000 + RANDOM % 10000))
  local pp=$((port + 1))
  "$bin/centrifuge-baseline" --addr 127.0.0.1:$port --pprof-addr 127.0.0.1:$pp >"/tmp/bench-$run.baseline.log" 2>&1 &
  local bpid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  echo "== $run centrifuge-baseline 127.0.0.1:$port pprof 127.0.0.1:$pp load $(cut -d' ' -f1 /proc/loadavg) $(date -u +%H:%M)"
  "$bin/streamwidgets" loadtest --target centrifuge --url "http://127.0.0.1:$port" --pprof "http://127.0.0.1:$pp" "$@" 2>&1 |
    grep -v '^t= *[0-9]*s ' | tail -40
  kill "$bpid"
  wait "$bpid" 2>/dev/null
}

outs=()
for i in $(seq 1 "$rounds"); do
  out=/tmp/compare-$name-streamwidgets-$i.txt
  "$here/bench.sh" "$bin/streamwidgets" "$name-streamwidgets-$i" -- "$@" | tee "$out"
  outs+=("$out")
  out=/tmp/compare-$name-centrifuge-$i.txt
  centrifuge_run "$name-centrifuge-$i" "$@" | tee "$out"
  outs+=("$out")
done

echo
echo "== $name side by side ($(date -u +%Y-%m-%d) UTC; load = 1-minute load average at the start of each run)"
printf '%-28s %-12s %-44s %-14s %-26s %s\n' run "time, load" "action/publish → update, every viewer" "CPU/delivery" "idle socket RSS / heap" result
for out in "${outs[@]}"; do
  run=$(basename "$out" .txt)
  head=$(grep -m1 '^== ' "$out")
  at="$(awk '{print $NF}' <<<"$head"), $(awk '{print $(NF-1)}' <<<"$head")"
  upd=$(grep -m1 '^action → state update' "$out" | sed 's/^action → state update *//; s/  (n=.*//; s/  */ /g')
  cpu=$(grep -m1 '^server CPU' "$out" | grep -o '[0-9.]* µs per delivery' | sed 's/ per delivery//')
  mem=$(grep -m1 '^server memory per socket' "$out" | grep -o '[0-9.]* KiB RSS, [0-9.]* KiB live heap' | sed 's# KiB RSS, # / #; s# live heap##')
  res=$(grep -m1 '^result' "$out" | awk '{print $2}' | tr -d :)
  printf '%-28s %-12s %-44s %-14s %-26s %s\n' "${run#compare-}" "$at" "${upd:--}" "${cpu:--}" "${mem:--}" "${res:--}"
done
