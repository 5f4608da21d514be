// Package e2e tests the local cluster (cluster/local/up.sh: etcd, DynamoDB
// Local, three member processes and nginx) as its clients see it: REST and
// WebSockets on different members, one-time sign-in across members, and the
// crash of the member hosting a widget grain. It is skipped when etcd, nginx,
// java or DynamoDB Local are missing (.ci/setup installs them).
package e2e
