// Package e2e tests the local cluster (cluster/local/up.sh: etcd, DynamoDB
// Local, three member processes and nginx) as its clients see it: REST and
// WebSockets on different members, one-time sign-in across members, SIGTERM
// of the member hosting a widget grain during a stream of actions (none
// acknowledged is lost, every one is answered, its sockets close with 1001),
// and the crash of that member. It is skipped when etcd, nginx,
// java or DynamoDB Local are missing (.ci/setup installs them).
package e2e
