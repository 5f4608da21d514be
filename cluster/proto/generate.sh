#!/usr/bin/env bash
# Regenerates cluster/widgetpb, cluster/userpb and cluster/roompb from the .proto files here. The generated files are
# committed, so a fresh clone builds with `go build` alone; run this only after
# editing the .proto. Needs protoc (Debian: protobuf-compiler) and the plugins
# pinned below (protoc-gen-go must match the protobuf version of protoactor-go).
set -euo pipefail
cd "$(dirname "$0")/../.."
PROTOACTOR=v0.0.0-20240822202345-3c0e61ca19c9
export GOBIN="${GOBIN:-$(go env GOPATH)/bin}"
export PATH="$GOBIN:$PATH"
command -v protoc >/dev/null || { echo "protoc missing: apt-get install -y protobuf-compiler" >&2; exit 1; }
go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.33.0
go install github.com/asynkron/protoactor-go/protobuf/protoc-gen-go-grain@$PROTOACTOR
ACTOR_ROOT=$(go list -m -f '{{.Dir}}' github.com/asynkron/protoactor-go)
protoc -I cluster/proto -I "$ACTOR_ROOT" \
  --go_out=. --go_opt=module=github.com/streamwidgets/streamwidgets \
  --go_opt=Mactor/actor.proto=github.com/asynkron/protoactor-go/actor \
  --go-grain_out=. --go-grain_opt=module=github.com/streamwidgets/streamwidgets \
  --go-grain_opt=Mactor/actor.proto=github.com/asynkron/protoactor-go/actor \
  cluster/proto/widget.proto cluster/proto/user.proto cluster/proto/integration.proto cluster/proto/room.proto
