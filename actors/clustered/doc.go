// Package clustered holds the tests of package actors that start protoactor
// cluster members in-process: widget grains, their subscribers, identities
// and the fan-out benchmarks. The library has data races of its own when
// several members run in one process (shared/notes/protoactor-go.md,
// pitfall 9), so these run without -race (.ci/test, NORACE) while package
// actors itself, with the connection actor on a plain actor system, runs
// under -race.
package clustered
