#!/usr/bin/env bash
# down.sh DIR — stops what cluster/local/up.sh DIR started: nginx first,
# then the members together (SIGTERM: each passivates its grains and leaves
# the cluster), then DynamoDB Local and etcd. A process still running after
# 20 s is killed. The data stays in DIR (up.sh DIR starts it again).
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
DIR=$1

# stop NAME... sends SIGTERM to each, waits, then SIGKILLs what is left.
stop() {
  local name pid pids=()
  for name in "$@"; do
    [[ -f "$DIR/pids/$name.pid" ]] || continue
    pid=$(cat "$DIR/pids/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
    rm -f "$DIR/pids/$name.pid"
  done
  local deadline=$((SECONDS + 20))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
}

stop nginx
stop member1 member2 member3
stop dynamodb etcd
echo "== down ($DIR)"
