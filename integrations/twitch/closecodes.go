package twitch

import (
	"errors"
	"time"
)

// Rejoin says how the session comes back after a close.
type Rejoin int

const (
	// RejoinBackoff: a transient problem on Twitch's side or the network;
	// connect to the default URL after a backoff and subscribe again.
	RejoinBackoff Rejoin = iota
	// RejoinNow: connect to the default URL at once and subscribe again.
	RejoinNow
)

// CloseCode is one EventSub close code as Twitch documents it, and what
// the session does about it. Every close ends the session and deletes its
// subscriptions, so every rejoin subscribes again.
type CloseCode struct {
	Code    int
	Name    string
	Meaning string
	Rejoin  Rejoin
	// OurFault codes mean this client did something wrong: logged as errors.
	OurFault bool
}

// CloseCodes are the codes 4000-4007.
var CloseCodes = map[int]CloseCode{
	4000: {4000, "internal server error", "Twitch had a problem", RejoinBackoff, false},
	4001: {4001, "client sent inbound traffic", "this client sent a data frame (it never should)", RejoinNow, true},
	4002: {4002, "client failed ping-pong", "this client did not answer a ping in time", RejoinNow, true},
	4003: {4003, "connection unused", "no subscription was created within the welcome's keepalive window", RejoinNow, true},
	4004: {4004, "reconnect grace time expired", "the reconnect URL was not used within 30 s", RejoinNow, true},
	4005: {4005, "network timeout", "a transient network timeout", RejoinBackoff, false},
	4006: {4006, "network error", "a transient network error", RejoinBackoff, false},
	4007: {4007, "invalid reconnect", "the reconnect URL was invalid or expired", RejoinNow, false},
}

// CloseInfo explains a close code; unknown codes (1006 without a close
// frame, …) are a network problem: backoff.
func CloseInfo(code int) CloseCode {
	if c, ok := CloseCodes[code]; ok {
		return c
	}
	return CloseCode{Code: code, Name: "connection lost", Meaning: "the connection ended without an EventSub close code", Rejoin: RejoinBackoff}
}

// Backoff is the wait before rejoin attempt n (1-based) after a transient
// failure: 1 s doubling to 60 s.
func Backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
