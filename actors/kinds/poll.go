package kinds

import (
	"fmt"
	"strings"
	"time"
)

// PollConfig is the poll's config: the question and options the next
// "open" starts with.
type PollConfig struct {
	Question string   `json:"question"`
	Options  []string `json:"options"`
	// DurationSeconds closes the poll by itself that long after it opens; 0: until closed.
	DurationSeconds int64 `json:"duration_seconds"`
	ShowVotes       bool  `json:"show_votes"`
	ShowPercent     bool  `json:"show_percent"`
	// HideAfterClose hides the result that many seconds after closing; 0 keeps it.
	HideAfterClose int64 `json:"hide_after_close"`
	Appearance
}

// PollOption is one answer and its votes.
type PollOption struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Votes int64  `json:"votes"`
}

// PollState is the poll on screen: run here ("manual": votes by the vote
// action) or mirrored from a platform's poll (sync: Twitch counts the votes).
type PollState struct {
	ID       string       `json:"id,omitempty"`
	Source   string       `json:"source,omitempty"`
	Status   string       `json:"status"` // idle, open, closed
	Question string       `json:"question"`
	Options  []PollOption `json:"options"`
	Total    int64        `json:"total"`
	OpenedAt time.Time    `json:"opened_at,omitzero"`
	EndsAt   time.Time    `json:"ends_at,omitzero"`
	ClosedAt time.Time    `json:"closed_at,omitzero"`
	// Winners are the ids of the options with the most votes, once closed (several on a tie, none without votes).
	Winners []string `json:"winners,omitempty"`
	Round   int64    `json:"round"`
	// Voters records each voter's option by a hash of their id (poll_voters.go):
	// one vote per voter, a second vote moves it. Never sent to viewers (View).
	Voters string `json:"voters,omitempty"`
}

// Poll statuses.
const (
	PollIdle   = "idle"
	PollOpen   = "open"
	PollClosed = "closed"
)

const (
	pollKind         = "poll"
	minPollOptions   = 2
	maxPollOptions   = 10
	maxPollQuestion  = 200
	maxPollOption    = 100
	maxPollID        = 100
	maxVoterID       = 100
	maxPollVotes     = 1e9
	maxPollSeconds   = 24 * 3600
	maxHideSeconds   = 3600
	pollSourceManual = "manual"
	// MaxPollVoters bounds the persisted voter set (13 bytes each: 65 KB
	// at the bound, well under a stored record's limit).
	MaxPollVoters = 5000
	// syncGrace: a mirrored poll past its end waits this long for the
	// platform's own close (with the final counts) before closing itself.
	syncGrace = 30 * time.Second
)

func init() { Register(Erase[PollConfig, PollState](Poll{})) }

// Poll is the poll kind.
type Poll struct{ Plain[PollConfig, PollState] }

var _ Kind[PollConfig, PollState] = Poll{}

// Info implements Kind.
func (Poll) Info() Info {
	options := listSchema("Options", maxPollOptions, stringSchema("Option", maxPollOption))
	options["minItems"] = minPollOptions
	duration := intSchema("Duration", 0, maxPollSeconds)
	duration["format"] = "duration"
	openFor := intSchema("Duration", 0, maxPollSeconds)
	openFor["format"] = "duration"
	hide := intSchema("Hide the result after (seconds)", 0, maxHideSeconds)
	syncOption := objectSchema([]string{"id", "title", "votes"}, map[string]any{
		"id":    stringSchema("Id", maxPollID),
		"title": stringSchema("Title", maxPollOption),
		"votes": intSchema("Votes", 0, maxPollVotes),
	}, "id", "title", "votes")
	return Info{
		Type: pollKind, Name: "Poll", Description: "A question with 2 to 10 options, live result bars and the winner when it closes.",
		ConfigSchema: withAppearance(objectSchema([]string{"question", "options"}, map[string]any{
			"question":         stringSchema("Question (shown on stream)", maxPollQuestion),
			"options":          described(options, "2 to 10 answers; viewers vote by number (1, 2, …)."),
			"duration_seconds": described(duration, "Closes by itself this long after opening; 0 keeps it open until you close it."),
			"show_votes":       boolSchema("Show vote counts"),
			"show_percent":     boolSchema("Show percentages"),
			"hide_after_close": described(hide, "0 keeps the result on stream."),
		}, "question", "options", "duration_seconds", "show_votes", "show_percent", "hide_after_close")),
		Actions: []ActionSpec{
			{Name: "open", Label: "Open", ActiveWhen: &StateMatch{Field: "status", Equals: PollOpen},
				PayloadSchema: objectSchema(nil, map[string]any{
					"duration_seconds": described(openFor, "Empty: the configured duration."),
				}, "duration_seconds")},
			{Name: "close", Label: "Close"},
			{Name: "reset", Label: "Reset"},
			// Votes arrive from chat far faster than button presses.
			{Name: "vote", Label: "Vote", Rate: Rate{PerSecond: 200, Burst: 1000}, PayloadSchema: objectSchema([]string{"voter", "option"}, map[string]any{
				"voter":  described(stringSchema("Voter", maxVoterID), "A user id or login: one vote each; voting again moves the vote."),
				"option": intSchema("Option number", 1, maxPollOptions),
			}, "voter", "option")},
			// A platform's own poll (Twitch), mirrored by its integration.
			{Name: "sync", Label: "Sync", Hidden: true, PayloadSchema: objectSchema([]string{"id", "question", "options", "status"}, map[string]any{
				"id":       stringSchema("Id", maxPollID),
				"question": stringSchema("Question", maxPollQuestion),
				"options":  listSchema("Options", maxPollOptions, syncOption),
				"status":   enumSchema("Status", PollOpen, PollClosed),
				"ends_at":  timeSchema("Ends at"),
			}, "id", "question", "options", "status", "ends_at")},
		},
	}
}

// Defaults implements Kind.
func (Poll) Defaults() PollConfig {
	return PollConfig{Question: "One more round?", Options: []string{"Yes", "No"}, DurationSeconds: 120,
		ShowVotes: true, ShowPercent: true, Appearance: DefaultAppearance()}
}

// Validate implements Kind.
func (Poll) Validate(c PollConfig) error {
	if err := checkPollText("question", c.Question, maxPollQuestion); err != nil {
		return InvalidConfig("%s", err)
	}
	if len(c.Options) < minPollOptions || len(c.Options) > maxPollOptions {
		return InvalidConfig("options must list %d to %d answers", minPollOptions, maxPollOptions)
	}
	seen := map[string]bool{}
	for i, o := range c.Options {
		if err := checkPollText(fmt.Sprintf("option %d", i+1), o, maxPollOption); err != nil {
			return InvalidConfig("%s", err)
		}
		key := strings.ToLower(strings.TrimSpace(o))
		if seen[key] {
			return InvalidConfig("option %d repeats %q", i+1, strings.TrimSpace(o))
		}
		seen[key] = true
	}
	switch {
	case c.DurationSeconds < 0 || c.DurationSeconds > maxPollSeconds:
		return InvalidConfig("duration_seconds must be between 0 and %d", maxPollSeconds)
	case c.HideAfterClose < 0 || c.HideAfterClose > maxHideSeconds:
		return InvalidConfig("hide_after_close must be between 0 and %d seconds", maxHideSeconds)
	}
	return c.Appearance.Validate()
}

func checkPollText(name, v string, max int) error {
	switch n := len([]rune(strings.TrimSpace(v))); {
	case n == 0:
		return fmt.Errorf("%s must not be empty", name)
	case len([]rune(v)) > max:
		return fmt.Errorf("%s must be at most %d characters", name, max)
	}
	return nil
}

// Initial implements Kind: the configured poll, not open yet (nothing on stream).
func (Poll) Initial(c PollConfig, _ time.Time) PollState {
	return draftPoll(c, 0)
}

func draftPoll(c PollConfig, round int64) PollState {
	s := PollState{Status: PollIdle, Question: strings.TrimSpace(c.Question), Round: round, Options: make([]PollOption, len(c.Options))}
	for i, o := range c.Options {
		s.Options[i] = PollOption{ID: fmt.Sprint(i + 1), Title: strings.TrimSpace(o)}
	}
	return s
}

// Reconfigure implements Kind: a poll not opened yet follows its config; an
// open or closed one keeps what viewers voted on.
func (Poll) Reconfigure(_, next PollConfig, s PollState, _ time.Time) PollState {
	if s.Status == PollIdle {
		return draftPoll(next, s.Round)
	}
	return s
}

// Apply implements Kind.
func (k Poll) Apply(c PollConfig, s PollState, a Action, now time.Time) (PollState, []Event, error) {
	now = now.UTC()
	s, events, _ := k.Settle(c, s, now)
	var err error
	var ev []Event
	switch strings.TrimSpace(a.Name) {
	case "open":
		s, err = openPoll(c, s, a, now)
	case "close":
		if err = noPayload(a); err == nil {
			if s.Status != PollOpen {
				return s, nil, Rejected("the poll is not open")
			}
			s, ev = closePoll(s, now)
		}
	case "reset":
		if err = noPayload(a); err == nil {
			s = draftPoll(c, s.Round)
		}
	case "vote":
		s, err = vote(s, a)
	case "sync":
		s, ev, err = syncPoll(s, a, now)
	default:
		return s, nil, UnknownAction(pollKind, a.Name)
	}
	if err != nil {
		return s, nil, err
	}
	return s, append(events, ev...), nil
}

func openPoll(c PollConfig, s PollState, a Action, now time.Time) (PollState, error) {
	var p struct {
		DurationSeconds *int64 `json:"duration_seconds"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return s, InvalidPayload("open: %v", err)
	}
	d := c.DurationSeconds
	if p.DurationSeconds != nil {
		if d = *p.DurationSeconds; d < 0 || d > maxPollSeconds {
			return s, InvalidPayload("duration_seconds must be between 0 and %d", maxPollSeconds)
		}
	}
	if s.Status == PollOpen {
		return s, Rejected("the poll is already open; close it first")
	}
	next := draftPoll(c, s.Round+1)
	next.ID, next.Source, next.Status, next.OpenedAt = fmt.Sprintf("poll-%d", next.Round), pollSourceManual, PollOpen, now
	if d > 0 {
		next.EndsAt = now.Add(time.Duration(d) * time.Second)
	}
	return next, nil
}

// vote counts one voter once: a second vote for another option moves it,
// the same vote again changes nothing (no write).
func vote(s PollState, a Action) (PollState, error) {
	var p struct {
		Voter  string `json:"voter"`
		Option *int   `json:"option"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return s, InvalidPayload("vote: %v", err)
	}
	voter := strings.ToLower(strings.TrimSpace(p.Voter))
	if err := textField("voter", voter, maxVoterID, true); err != nil {
		return s, err
	}
	if p.Option == nil {
		return s, InvalidPayload("vote needs an option number")
	}
	switch {
	case s.Status != PollOpen:
		return s, Rejected("the poll is not open")
	case s.Source != pollSourceManual:
		return s, Rejected("this poll runs on %s, which counts its votes", s.Source)
	case *p.Option < 1 || *p.Option > len(s.Options):
		return s, InvalidPayload("option must be a number from 1 to %d", len(s.Options))
	}
	idx := *p.Option - 1
	voters := voterSet(s.Voters)
	if !voters.valid() {
		return s, Rejected("this poll's voter list is damaged; reset the poll")
	}
	key := voterKey(voter)
	_, prev, voted := voters.find(key)
	if voted && prev == idx {
		return s, nil
	}
	if !voted && voters.len() >= MaxPollVoters {
		return s, Rejected("the poll has reached %d voters; later voters are not counted", MaxPollVoters)
	}
	// Copy what changes: Apply never mutates the state it was given.
	options := append([]PollOption(nil), s.Options...)
	if voted && prev >= 0 && prev < len(options) {
		options[prev].Votes--
	} else {
		s.Total++
	}
	options[idx].Votes++
	s.Voters, s.Options = string(voters.with(key, idx)), options
	return s, nil
}

func closePoll(s PollState, at time.Time) (PollState, []Event) {
	s.Status, s.ClosedAt, s.Winners = PollClosed, at, winners(s.Options)
	return s, []Event{{Name: "poll_closed", Data: closedEvent(s)}}
}

func winners(options []PollOption) []string {
	var best int64
	var ids []string
	for _, o := range options {
		switch {
		case o.Votes > best:
			best, ids = o.Votes, []string{o.ID}
		case o.Votes == best && best > 0:
			ids = append(ids, o.ID)
		}
	}
	return ids
}

// PollClosedEvent is the poll_closed event's data.
type PollClosedEvent struct {
	ID       string       `json:"id"`
	Question string       `json:"question"`
	Winners  []PollOption `json:"winners"`
	Total    int64        `json:"total"`
	Options  []PollOption `json:"options"`
}

func closedEvent(s PollState) PollClosedEvent {
	e := PollClosedEvent{ID: s.ID, Question: s.Question, Total: s.Total, Options: s.Options, Winners: []PollOption{}}
	for _, o := range s.Options {
		for _, w := range s.Winners {
			if o.ID == w {
				e.Winners = append(e.Winners, o)
			}
		}
	}
	return e
}

// Settle implements Kind: an open poll closes at its end (a mirrored one
// waits syncGrace for the platform's close with the final counts).
func (Poll) Settle(_ PollConfig, s PollState, now time.Time) (PollState, []Event, bool) {
	end, ok := pollDeadline(s)
	if !ok || now.Before(end) {
		return s, nil, false
	}
	at := s.EndsAt
	if s.Source != pollSourceManual {
		at = end
	}
	next, events := closePoll(s, at)
	return next, events, true
}

func pollDeadline(s PollState) (time.Time, bool) {
	if s.Status != PollOpen || s.EndsAt.IsZero() {
		return time.Time{}, false
	}
	if s.Source != pollSourceManual {
		return s.EndsAt.Add(syncGrace), true
	}
	return s.EndsAt, true
}

// Timer implements Kind: wake when an open poll must close.
func (Poll) Timer(_ PollConfig, s PollState, _ time.Time) Timer {
	end, _ := pollDeadline(s)
	return Timer{At: end}
}

// View implements Kind: viewers get the counts, never who voted.
func (Poll) View(_ PollConfig, s PollState, _ time.Time) PollState {
	s.Voters = ""
	return s
}
