# syntax=docker/dockerfile:1
# streamwidgets: a static binary on a distroless base, running as non-root.
#   docker build -t streamwidgets .
#   docker run -p 8080:8080 streamwidgets      (single node, embedded store in /data)
# A cluster member (see README "Run a cluster", cluster/k8s/):
#   docker run -e STREAMWIDGETS_CLUSTER=etcd -e STREAMWIDGETS_STORE=dynamodb … streamwidgets

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (bbolt, the AWS SDK, protoactor): CGO off gives a static binary.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/streamwidgets ./cmd/streamwidgets \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/streamwidgets /usr/local/bin/streamwidgets
# The data dir (embedded store, keys) belongs to the runtime user; mount a
# volume here to keep it.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# HTTP on every interface inside the container; the cluster endpoint is
# set with STREAMWIDGETS_CLUSTER_BIND / _ADVERTISE when clustered.
ENV STREAMWIDGETS_ADDR=0.0.0.0:8080 \
    STREAMWIDGETS_DATA=/data
EXPOSE 8080 7000
ENTRYPOINT ["/usr/local/bin/streamwidgets"]
CMD ["serve"]
