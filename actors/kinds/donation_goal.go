package kinds

import (
	"crypto/sha256"
	"encoding/base64"
	"math"
	"regexp"
	"strings"
	"time"
)

// DonationGoalConfig is the donation goal's config.
type DonationGoalConfig struct {
	Title  string  `json:"title"`
	Target float64 `json:"target"`
	// Currency is an ISO 4217 code ("USD"); donations in another currency
	// are refused (nothing converts them). Empty: amounts without a currency.
	Currency   string `json:"currency"`
	ShowLatest bool   `json:"show_latest"`
	Appearance
}

// Donor is the latest donation shown under the bar.
type Donor struct {
	Name     string    `json:"name"`
	Amount   float64   `json:"amount"`
	Currency string    `json:"currency,omitempty"`
	Source   string    `json:"source"`
	At       time.Time `json:"at"`
}

// DonationGoalState is the total toward the goal. Seen remembers the last
// donations by source and event id, so a webhook delivered twice or a
// source replaying its history counts once; it is never sent to viewers.
type DonationGoalState struct {
	Current float64  `json:"current"`
	Count   int64    `json:"count"`
	Latest  *Donor   `json:"latest,omitempty"`
	Seen    []string `json:"seen,omitempty"` // hashes of source+event_id, oldest first
}

const (
	donationGoalKind = "donation_goal"
	// DonationWindow is how many recent donations are remembered for
	// deduplication (a 12-byte hash each: ~15 KB).
	DonationWindow = 1000
	maxDonation    = 1e9
	maxEventID     = 200
	maxDonorName   = 100
)

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

func init() { Register(Erase[DonationGoalConfig, DonationGoalState](DonationGoal{})) }

// DonationGoal is the donation goal kind: a goal bar fed by donations from
// several sources (StreamElements, Streamlabs, Ko-fi…) and by people.
type DonationGoal struct {
	Plain[DonationGoalConfig, DonationGoalState]
}

var _ Kind[DonationGoalConfig, DonationGoalState] = DonationGoal{}

// Info implements Kind.
func (DonationGoal) Info() Info {
	money := func(title string) map[string]any { return numberSchema(title, 0, maxDonation) }
	return Info{
		Type: donationGoalKind, Name: "Donation Goal", Description: "A progress bar toward a donation target, fed by tips from several sources (each counted once) and by hand.",
		ConfigSchema: withAppearance(objectSchema([]string{"target"}, map[string]any{
			"title":       stringSchema("Title (shown on stream)", 200),
			"target":      numberSchema("Target", 0, maxGoalValue),
			"currency":    described(currencySchema(), "An ISO code such as USD or EUR; donations in another currency are refused. Empty: plain amounts."),
			"show_latest": boolSchema("Show the latest donor"),
		}, "title", "target", "currency", "show_latest")),
		Actions: []ActionSpec{
			{Name: "add", Label: "Add donation", PayloadSchema: objectSchema([]string{"amount"}, map[string]any{
				"amount": money("Amount"),
				"name":   described(stringSchema("Donor", maxDonorName), "Shown as the latest donor; empty: not shown."),
			}, "amount", "name")},
			{Name: "set", Label: "Set total", PayloadSchema: objectSchema([]string{"value"}, map[string]any{
				"value": numberSchema("Total", 0, maxGoalValue),
			})},
			{Name: "reset", Label: "Reset"},
			// Integrations: every source's donation, counted once per source+event_id.
			{Name: "donate", Label: "Donate", Hidden: true, Rate: Rate{PerSecond: 50, Burst: 200}, PayloadSchema: objectSchema([]string{"source", "event_id", "amount"}, map[string]any{
				"source":   stringSchema("Source", 32),
				"event_id": stringSchema("Event id", maxEventID),
				"amount":   money("Amount"),
				"name":     stringSchema("Donor", maxDonorName),
				"currency": stringSchema("Currency", 3),
			}, "source", "event_id", "amount", "name", "currency")},
		},
	}
}

func currencySchema() map[string]any {
	s := stringSchema("Currency", 3)
	s["pattern"] = "^([A-Z]{3})?$"
	return s
}

// Defaults implements Kind.
func (DonationGoal) Defaults() DonationGoalConfig {
	return DonationGoalConfig{Title: "Donation goal", Target: 500, Currency: "USD", ShowLatest: true, Appearance: DefaultAppearance()}
}

// Validate implements Kind.
func (DonationGoal) Validate(c DonationGoalConfig) error {
	switch {
	case !(c.Target > 0) || c.Target > maxGoalValue:
		return InvalidConfig("target must be greater than 0 and at most %g", maxGoalValue)
	case len([]rune(c.Title)) > 200:
		return InvalidConfig("title must be at most 200 characters")
	case c.Currency != "" && !currencyPattern.MatchString(c.Currency):
		return InvalidConfig("currency must be a three-letter code such as USD, or empty")
	}
	return c.Appearance.Validate()
}

// Initial implements Kind.
func (DonationGoal) Initial(DonationGoalConfig, time.Time) DonationGoalState {
	return DonationGoalState{}
}

// Apply implements Kind.
func (DonationGoal) Apply(c DonationGoalConfig, s DonationGoalState, a Action, now time.Time) (DonationGoalState, []Event, error) {
	now = now.UTC()
	switch strings.TrimSpace(a.Name) {
	case "donate":
		return donate(c, s, a, now)
	case "add":
		var p struct {
			Amount *float64 `json:"amount"`
			Name   string   `json:"name"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, nil, InvalidPayload("add: %v", err)
		}
		if err := checkDonation(p.Amount, p.Name); err != nil {
			return s, nil, err
		}
		d := Donor{Name: strings.TrimSpace(p.Name), Amount: *p.Amount, Currency: c.Currency, Source: defaultSource(a.By), At: now}
		return count(s, d)
	case "set":
		var p struct {
			Value *float64 `json:"value"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, nil, InvalidPayload("set: %v", err)
		}
		if p.Value == nil || !inRange(*p.Value) || *p.Value < 0 {
			return s, nil, InvalidPayload("set needs a total from 0 to %g", maxGoalValue)
		}
		s.Current = *p.Value
		return s, nil, nil
	case "reset":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		// The window stays: a donation replayed after a reset still counts once.
		return DonationGoalState{Seen: s.Seen}, nil, nil
	default:
		return s, nil, UnknownAction(donationGoalKind, a.Name)
	}
}

func donate(c DonationGoalConfig, s DonationGoalState, a Action, now time.Time) (DonationGoalState, []Event, error) {
	var p struct {
		Source   string   `json:"source"`
		EventID  string   `json:"event_id"`
		Amount   *float64 `json:"amount"`
		Name     string   `json:"name"`
		Currency string   `json:"currency"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return s, nil, InvalidPayload("donate: %v", err)
	}
	switch {
	case !sourcePattern.MatchString(p.Source):
		return s, nil, InvalidPayload("source must be 1 to 32 lowercase letters, digits, '_', '.' or '-'")
	case strings.TrimSpace(p.EventID) == "" || len(p.EventID) > maxEventID:
		return s, nil, InvalidPayload("event_id must be 1 to %d characters", maxEventID)
	case p.Currency != "" && !currencyPattern.MatchString(strings.ToUpper(p.Currency)):
		return s, nil, InvalidPayload("currency must be a three-letter code such as USD")
	}
	if err := checkDonation(p.Amount, p.Name); err != nil {
		return s, nil, err
	}
	key := donationKey(p.Source, p.EventID)
	for _, seen := range s.Seen {
		if seen == key {
			return s, nil, nil // delivered before: counted once, nothing changes
		}
	}
	cur := strings.ToUpper(p.Currency)
	if cur != "" && c.Currency != "" && cur != c.Currency {
		return s, nil, Rejected("this goal counts %s; a donation in %s is not counted (convert it first)", c.Currency, cur)
	}
	seen := append(append(make([]string, 0, len(s.Seen)+1), s.Seen...), key)
	if len(seen) > DonationWindow {
		seen = seen[len(seen)-DonationWindow:]
	}
	if cur == "" {
		cur = c.Currency
	}
	next, events, err := count(s, Donor{Name: strings.TrimSpace(p.Name), Amount: *p.Amount, Currency: cur, Source: p.Source, At: now})
	if err != nil {
		return s, nil, err
	}
	next.Seen = seen
	return next, events, nil
}

// count adds one donation to the total and makes it the latest.
func count(s DonationGoalState, d Donor) (DonationGoalState, []Event, error) {
	if !inRange(s.Current + d.Amount) {
		return s, nil, Rejected("the total would be out of range")
	}
	s.Current = roundCents(s.Current + d.Amount)
	s.Count++
	s.Latest = &d
	return s, []Event{{Name: "donation", Data: d}}, nil
}

func checkDonation(amount *float64, name string) error {
	if amount == nil || math.IsNaN(*amount) || !(*amount > 0) || *amount > maxDonation {
		return InvalidPayload("amount must be greater than 0 and at most %g", maxDonation)
	}
	return textField("name", strings.TrimSpace(name), maxDonorName, false)
}

// donationKey is a short hash of source and event id: the window stays
// small whatever the ids' length.
func donationKey(source, eventID string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + eventID))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// roundCents keeps sums of cents exact on screen (0.1 + 0.2 shows 0.3).
func roundCents(v float64) float64 { return math.Round(v*100) / 100 }

// View implements Kind: viewers get the total and the latest donor, not the
// deduplication window.
func (DonationGoal) View(_ DonationGoalConfig, s DonationGoalState, _ time.Time) DonationGoalState {
	s.Seen = nil
	return s
}
