// Package faults holds failure tests of the DynamoDB store under real widget
// grains: a store outage in the middle of a run, and two activations of the
// same widget writing at once. They start protoactor clusters in-process, so
// CI runs this package without -race.
package faults
