package kinds

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Sizes of one alert's fields.
const (
	maxAlertIDLen      = 128 // bytes: event ids are ASCII (UUIDs, Twitch message ids)
	maxAlertNameLen    = 100
	maxAlertMessageLen = 500
)

// alertTier is a sub tier 1-3 (0: none). It also reads Twitch's tier
// strings, so an integration can pass EventSub's "1000" through.
type alertTier int

func (t *alertTier) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = 0
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err == nil && n >= 0 && n <= 3 {
		*t = alertTier(n)
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "1", "1000", "prime":
			*t = 1
			return nil
		case "2", "2000":
			*t = 2
			return nil
		case "3", "3000":
			*t = 3
			return nil
		}
	}
	return errors.New(`tier must be 1, 2 or 3 (or "1000", "2000", "3000", "prime")`)
}

// decodeEnqueue reads an enqueue payload into a new alert (no seq yet).
func decodeEnqueue(a Action) (Alert, *int, error) {
	var p struct {
		ID       string    `json:"id"`
		Type     string    `json:"type"`
		Name     string    `json:"name"`
		Amount   *float64  `json:"amount"`
		Tier     alertTier `json:"tier"`
		Months   *int      `json:"months"`
		Message  string    `json:"message"`
		Test     bool      `json:"test"`
		Priority *int      `json:"priority"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return Alert{}, nil, InvalidPayload("enqueue: %v", err)
	}
	al := Alert{ID: strings.TrimSpace(p.ID), Type: p.Type, Name: strings.TrimSpace(p.Name), Tier: int(p.Tier),
		Message: strings.TrimSpace(p.Message), Test: p.Test}
	switch {
	case !slices.Contains(StreamEventTypes, p.Type):
		return Alert{}, nil, InvalidPayload("enqueue: type must be one of %v", StreamEventTypes)
	case al.Name == "":
		return Alert{}, nil, InvalidPayload("enqueue: name is required")
	case utf8.RuneCountInString(al.Name) > maxAlertNameLen:
		return Alert{}, nil, InvalidPayload("enqueue: name must be at most %d characters", maxAlertNameLen)
	case utf8.RuneCountInString(al.Message) > maxAlertMessageLen:
		return Alert{}, nil, InvalidPayload("enqueue: message must be at most %d characters", maxAlertMessageLen)
	case len(al.ID) > maxAlertIDLen:
		return Alert{}, nil, InvalidPayload("enqueue: id must be at most %d bytes", maxAlertIDLen)
	case al.ID == "" && a.By.Role == RoleService:
		return Alert{}, nil, InvalidPayload("enqueue: id is required from an integration (it is how redeliveries are ignored)")
	case p.Priority != nil && (*p.Priority < 0 || *p.Priority > maxAlertPriority):
		return Alert{}, nil, InvalidPayload("enqueue: priority must be between 0 and %d", maxAlertPriority)
	}
	if p.Amount != nil {
		if !between(*p.Amount, 0, maxAlertAmount) {
			return Alert{}, nil, InvalidPayload("enqueue: amount must be between 0 and %g", maxAlertAmount)
		}
		al.Amount = *p.Amount
	}
	if p.Months != nil {
		if *p.Months < 0 || *p.Months > maxAlertMonths {
			return Alert{}, nil, InvalidPayload("enqueue: months must be between 0 and %d", maxAlertMonths)
		}
		al.Months = *p.Months
	}
	return al, p.Priority, nil
}

// testAlert is what the "Test alert" button sends: sample values of the
// type, flagged as a test, through the same path as a real alert.
func testAlert(a Action, seq int64) (Alert, error) {
	var p struct {
		Type string `json:"type"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return Alert{}, InvalidPayload("test: %v", err)
	}
	if !slices.Contains(StreamEventTypes, p.Type) {
		return Alert{}, InvalidPayload("test: type must be one of %v", StreamEventTypes)
	}
	al := Alert{ID: fmt.Sprintf("test-%d", seq), Type: p.Type, Name: "TestViewer", Test: true}
	switch p.Type {
	case "sub":
		al.Tier = 1
	case "resub":
		al.Tier, al.Months, al.Message = 1, 12, "This is a test alert"
	case "gift_sub":
		al.Tier, al.Amount = 1, 5
	case "cheer":
		al.Amount, al.Message = 500, "This is a test alert"
	case "raid":
		al.Amount = 42
	case "tip", "donation":
		al.Amount, al.Message = 5, "This is a test alert"
	case "redemption":
		al.Message = "Hydrate!"
	}
	return al, nil
}

// alertRef is an acknowledgement's or a replay's target.
type alertRef struct {
	ID  string `json:"id"`
	Seq int64  `json:"seq"`
}

func decodeRef(a Action) (alertRef, error) {
	var r alertRef
	if err := DecodeStrict(orEmpty(a.Payload), &r); err != nil {
		return r, InvalidPayload("%s: %v", a.Name, err)
	}
	r.ID = strings.TrimSpace(r.ID)
	switch {
	case r.ID == "":
		return r, InvalidPayload("%s needs the alert's id", a.Name)
	case len(r.ID) > maxAlertIDLen:
		return r, InvalidPayload("%s: id must be at most %d bytes", a.Name, maxAlertIDLen)
	case r.Seq < 0:
		return r, InvalidPayload("%s: seq must be positive", a.Name)
	}
	return r, nil
}

// source records who sent an alert: "owner", "control" or the integration's name.
func source(by By) string {
	if by.Role == RoleService && by.Service != "" {
		return by.Service
	}
	if by.Role == "" {
		return string(RoleOwner)
	}
	return string(by.Role)
}
