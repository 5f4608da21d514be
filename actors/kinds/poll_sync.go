package kinds

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// syncPoll mirrors a platform's poll (Twitch polls, from its integration):
// the platform counts the votes, so the state takes its counts as they are.
// The same poll again updates it (no write when nothing changed); another
// id replaces it; open -> closed emits poll_closed once.
func syncPoll(s PollState, a Action, now time.Time) (PollState, []Event, error) {
	var p struct {
		ID       string       `json:"id"`
		Question string       `json:"question"`
		Options  []PollOption `json:"options"`
		Status   string       `json:"status"`
		EndsAt   string       `json:"ends_at"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return s, nil, InvalidPayload("sync: %v", err)
	}
	if err := checkSync(p.ID, p.Question, p.Options, p.Status); err != nil {
		return s, nil, err
	}
	var endsAt time.Time
	if p.EndsAt != "" {
		t, err := time.Parse(time.RFC3339Nano, p.EndsAt)
		if err != nil {
			return s, nil, InvalidPayload("ends_at must be a time like 2025-03-01T20:00:00Z")
		}
		if endsAt = t.UTC(); endsAt.Sub(now).Abs() > maxPollSeconds*time.Second {
			return s, nil, InvalidPayload("ends_at must be within 24 hours of now")
		}
	}
	source := "sync"
	if a.By.Role == RoleService && sourcePattern.MatchString(a.By.Service) {
		source = a.By.Service
	}

	next := s
	same := s.ID == p.ID && s.Source == source && s.Status != PollIdle
	if !same {
		next = PollState{ID: p.ID, Source: source, Status: PollOpen, OpenedAt: now, Round: s.Round + 1}
	}
	next.Question, next.EndsAt, next.Voters = strings.TrimSpace(p.Question), endsAt, ""
	next.Options, next.Total = make([]PollOption, len(p.Options)), 0
	for i, o := range p.Options {
		next.Options[i] = PollOption{ID: o.ID, Title: strings.TrimSpace(o.Title), Votes: o.Votes}
		next.Total += o.Votes
	}
	var events []Event
	switch {
	case p.Status == PollOpen:
		next.Status, next.ClosedAt, next.Winners = PollOpen, time.Time{}, nil
	case next.Status == PollOpen: // closing now, or first seen already closed
		next, events = closePoll(next, now)
	default: // closed, and stays closed: the final counts may still move the winner
		next.Winners = winners(next.Options)
	}
	if same && pollEqual(s, next) {
		return s, nil, nil // a repeat of what we have: no write, no broadcast
	}
	return next, events, nil
}

func checkSync(id, question string, options []PollOption, status string) error {
	switch {
	case strings.TrimSpace(id) == "" || len(id) > maxPollID:
		return InvalidPayload("id must be 1 to %d characters", maxPollID)
	case status != PollOpen && status != PollClosed:
		return InvalidPayload("status must be open or closed")
	case len(options) < minPollOptions || len(options) > maxPollOptions:
		return InvalidPayload("options must list %d to %d answers", minPollOptions, maxPollOptions)
	}
	if err := checkPollText("question", question, maxPollQuestion); err != nil {
		return InvalidPayload("%s", err)
	}
	ids := map[string]bool{}
	for i, o := range options {
		if strings.TrimSpace(o.ID) == "" || len(o.ID) > maxPollID || ids[o.ID] {
			return InvalidPayload("option %d needs an id of 1 to %d characters, unique in the poll", i+1, maxPollID)
		}
		ids[o.ID] = true
		if err := checkPollText(fmt.Sprintf("option %d", i+1), o.Title, maxPollOption); err != nil {
			return InvalidPayload("%s", err)
		}
		if o.Votes < 0 || o.Votes > maxPollVotes {
			return InvalidPayload("option %d: votes must be between 0 and %d", i+1, int64(maxPollVotes))
		}
	}
	return nil
}

func pollEqual(a, b PollState) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
