package kinds

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxAlertTextLen bounds an alert's rendered text (a template of 300
// characters, each variable once, stays well under it): a template
// repeating {message} thirty times would otherwise put 15,000 characters on
// screen and 100 KB in the stored state.
const maxAlertTextLen = 1000

// clipRunes cuts s to at most n characters.
func clipRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// alertVars are the variables an alert template may use.
var alertVars = []string{"name", "amount", "message", "tier", "months"}

// checkTemplate refuses an over-long template and unknown variables (a typo
// such as {user} would otherwise reach the stream as is). Anything else,
// <script> and {{ included, is plain text: the overlay sets it as text.
func checkTemplate(t string) error {
	if n := utf8.RuneCountInString(t); n > maxAlertTemplateLen {
		return fmt.Errorf("at most %d characters (this one has %d)", maxAlertTemplateLen, n)
	}
	for i := 0; i < len(t); i++ {
		if t[i] != '{' {
			continue
		}
		if name, _, ok := varAt(t[i:]); ok && !slices.Contains(alertVars, name) {
			return fmt.Errorf("unknown variable {%s}; use {name}, {amount}, {message}, {tier} or {months}", name)
		}
	}
	return nil
}

// renderTemplate replaces the variables in one pass: a name or message that
// itself reads "{message}" stays as it is, never expanded again.
func renderTemplate(t string, a Alert) string {
	var b strings.Builder
	for i := 0; i < len(t); {
		if t[i] == '{' {
			if name, n, ok := varAt(t[i:]); ok && slices.Contains(alertVars, name) {
				b.WriteString(alertVar(a, name))
				i += n
				continue
			}
		}
		b.WriteByte(t[i])
		i++
	}
	return b.String()
}

// varAt reads a "{word}" at the start of s (a word of ASCII letters, digits
// and underscores, at most 32): its name and length.
func varAt(s string) (string, int, bool) {
	for j := 1; j < len(s) && j <= 33; j++ {
		c := s[j]
		switch {
		case c == '}' && j > 1:
			return s[1:j], j + 1, true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			return "", 0, false
		}
	}
	return "", 0, false
}

func alertVar(a Alert, name string) string {
	switch name {
	case "name":
		return a.Name
	case "amount":
		return formatAmount(a.Amount)
	case "message":
		return a.Message
	case "tier":
		if a.Tier == 0 {
			return ""
		}
		return strconv.Itoa(a.Tier)
	case "months":
		if a.Months == 0 {
			return ""
		}
		return strconv.Itoa(a.Months)
	}
	return ""
}

// formatAmount shows whole amounts without decimals (500 bits), others with two (4.50).
func formatAmount(x float64) string {
	if x == math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// builtinTemplate is an alert's text when no variation gives one.
func builtinTemplate(a Alert) string {
	switch a.Type {
	case "follow":
		return "{name} is now following!"
	case "sub":
		return "{name} just subscribed!"
	case "resub":
		if a.Months > 1 {
			return "{name} resubscribed for {months} months!"
		}
		return "{name} resubscribed!"
	case "gift_sub":
		if a.Amount > 1 {
			return "{name} gifted {amount} subs!"
		}
		return "{name} gifted a sub!"
	case "cheer":
		return "{name} cheered {amount} bits!"
	case "raid":
		if a.Amount > 0 {
			return "{name} is raiding with {amount} viewers!"
		}
		return "{name} is raiding!"
	case "tip":
		return "{name} tipped {amount}!"
	case "donation":
		return "{name} donated {amount}!"
	case "redemption":
		return "{name} redeemed a reward!"
	}
	return "{name}"
}

func (r AlertRule) matches(a Alert) bool {
	return (r.Type == "" || r.Type == "any" || r.Type == a.Type) &&
		a.Amount >= r.MinAmount && a.Tier >= r.MinTier && a.Months >= r.MinMonths
}

// present resolves how an alert looks when it starts: the first matching
// variation, over the widget's defaults. Config changes apply to alerts
// still waiting in the queue.
func present(c AlertsConfig, a Alert, lane string, now time.Time) ShownAlert {
	s := ShownAlert{Alert: a, Lane: lane, ImageURL: c.ImageURL, SoundURL: c.SoundURL, Volume: c.Volume,
		Animation: c.Animation, StartedAt: now}
	duration, template := c.Duration, ""
	for i, r := range c.Rules {
		if !r.matches(a) {
			continue
		}
		s.Variation = i + 1
		template = r.Template
		if r.ImageURL != "" {
			s.ImageURL = r.ImageURL
		}
		if r.SoundURL != "" {
			s.SoundURL = r.SoundURL
		}
		if r.Duration > 0 {
			duration = r.Duration
		}
		if r.Animation != "" && r.Animation != "default" {
			s.Animation = r.Animation
		}
		break
	}
	if strings.TrimSpace(template) == "" {
		template = builtinTemplate(a)
	}
	s.Text = clipRunes(renderTemplate(template, a), maxAlertTextLen)
	s.DurationMs = int64(math.Round(duration * 1000))
	return s
}
