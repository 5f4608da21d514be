package kinds

import (
	"regexp"
	"strings"
	"time"
)

// NowPlayingConfig is the now-playing card's config.
type NowPlayingConfig struct {
	// Title is the small caption above the track ("Now playing"); empty hides it.
	Title string `json:"title"`
	// Idle is what the card shows when nothing plays (the track ended or
	// was cleared): "last_track" (the last known track, marked as such),
	// "text" (IdleText) or "hide" (nothing).
	Idle         string `json:"idle"`
	IdleText     string `json:"idle_text"`
	ShowArt      bool   `json:"show_art"`
	ShowAlbum    bool   `json:"show_album"`
	ShowProgress bool   `json:"show_progress"`
	Appearance
}

// Track is one song as a source reported it.
type Track struct {
	Title  string `json:"title"`
	Artist string `json:"artist"`
	Album  string `json:"album,omitempty"`
	ArtURL string `json:"art_url,omitempty"`
	// StartedAt and DurationMs, when known, let the overlay draw the
	// progress bar from the server-corrected clock (no tick from the server).
	StartedAt  time.Time `json:"started_at,omitzero"`
	DurationMs int64     `json:"duration_ms,omitempty"`
	// Source names who reported it ("pretzel", "spotify", "manual").
	Source string `json:"source"`
}

// End is when the track ends, if its start and duration are known.
func (t Track) End() (time.Time, bool) {
	if t.StartedAt.IsZero() || t.DurationMs <= 0 {
		return time.Time{}, false
	}
	return t.StartedAt.Add(time.Duration(t.DurationMs) * time.Millisecond), true
}

// sameSong: the same track reported again (a poller asks every few seconds).
func (t Track) sameSong(o Track) bool {
	return t.Title == o.Title && t.Artist == o.Artist && t.Album == o.Album && t.Source == o.Source
}

// NowPlayingState is what plays now, or the last known track.
type NowPlayingState struct {
	// Track is the current track while Playing, else the last known one (nil: none yet).
	Track   *Track `json:"track,omitempty"`
	Playing bool   `json:"playing"`
	// StoppedAt is when the last track ended or was cleared.
	StoppedAt time.Time `json:"stopped_at,omitzero"`
	// Ended: the track played to its end (by its duration), as opposed to cleared.
	Ended bool `json:"ended,omitempty"`
	// Changes counts new tracks, so the overlay animates a change even to the same song.
	Changes int64 `json:"changes"`
}

const (
	maxTrackText   = 300
	maxTrackMs     = 24 * 3600 * 1000 // a long DJ set
	maxStartedAgo  = 24 * time.Hour
	maxStartAhead  = time.Minute     // a source's clock a little ahead is clamped to now
	startedJitter  = 3 * time.Second // started_at = now - progress wobbles by the poll's latency
	nowPlayingKind = "now_playing"
)

// sourcePattern is an integration or source name: short, no spaces.
var sourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

func init() { Register(Erase[NowPlayingConfig, NowPlayingState](NowPlaying{})) }

// NowPlaying is the now-playing kind: fed by set_track (a person, or the
// Pretzel/Spotify/Last.fm integrations), ended by its own timer.
type NowPlaying struct {
	Plain[NowPlayingConfig, NowPlayingState]
}

var _ Kind[NowPlayingConfig, NowPlayingState] = NowPlaying{}

// Info implements Kind.
func (NowPlaying) Info() Info {
	return Info{
		Type: nowPlayingKind, Name: "Now Playing", Description: "The current song: title, artist, album art and a progress bar.",
		ConfigSchema: withAppearance(objectSchema(nil, map[string]any{
			"title":         described(stringSchema("Caption (shown on stream)", 100), "Small text above the song; leave empty for none."),
			"idle":          enumSchema("When nothing is playing", "last_track", "text", "hide"),
			"idle_text":     described(stringSchema("Text when nothing is playing", 200), `Shown when "When nothing is playing" is "text", or before any song is known.`),
			"show_art":      boolSchema("Show album art"),
			"show_album":    boolSchema("Show album"),
			"show_progress": boolSchema("Show progress bar"),
		}, "title", "idle", "idle_text", "show_art", "show_album", "show_progress")),
		Actions: []ActionSpec{
			{Name: "set_track", Label: "Set track", PayloadSchema: objectSchema([]string{"title"}, map[string]any{
				"title":       stringSchema("Title", maxTrackText),
				"artist":      stringSchema("Artist", maxTrackText),
				"album":       stringSchema("Album", maxTrackText),
				"art_url":     urlSchema("Album art URL"),
				"started_at":  described(timeSchema("Started at"), "Leave empty for now."),
				"duration_ms": described(intSchema("Length (ms)", 0, maxTrackMs), "In milliseconds (3:30 is 210000); leave empty if unknown."),
				"source":      described(stringSchema("Source", 32), `Who reports it; empty means "manual".`),
			}, "title", "artist", "album", "art_url", "started_at", "duration_ms", "source"), ActiveWhen: &StateMatch{Field: "playing", Equals: true}},
			{Name: "clear", Label: "Nothing playing"},
		},
	}
}

// Defaults implements Kind: a left-aligned card, like a music player.
func (NowPlaying) Defaults() NowPlayingConfig {
	a := DefaultAppearance()
	a.Align = "left"
	return NowPlayingConfig{Title: "Now playing", Idle: "last_track", IdleText: "No music playing",
		ShowArt: true, ShowAlbum: true, ShowProgress: true, Appearance: a}
}

// Validate implements Kind.
func (NowPlaying) Validate(c NowPlayingConfig) error {
	switch {
	case c.Idle != "last_track" && c.Idle != "text" && c.Idle != "hide":
		return InvalidConfig("idle must be last_track, text or hide")
	case len([]rune(c.Title)) > 100:
		return InvalidConfig("title must be at most 100 characters")
	case len([]rune(c.IdleText)) > 200:
		return InvalidConfig("idle_text must be at most 200 characters")
	}
	return c.Appearance.Validate()
}

// Initial implements Kind: nothing known yet.
func (NowPlaying) Initial(NowPlayingConfig, time.Time) NowPlayingState { return NowPlayingState{} }

// Apply implements Kind.
func (k NowPlaying) Apply(c NowPlayingConfig, s NowPlayingState, a Action, now time.Time) (NowPlayingState, []Event, error) {
	now = now.UTC()
	s, events, _ := k.Settle(c, s, now)
	switch strings.TrimSpace(a.Name) {
	case "set_track":
		t, err := decodeTrack(a, now)
		if err != nil {
			return s, nil, err
		}
		next, started := setTrack(s, t, now)
		switch {
		case started && next.Playing:
			events = append(events, Event{Name: "track_started", Data: trackEvent(*next.Track)})
		case s.Playing && !next.Playing: // a corrected duration that is already over
			events = append(events, Event{Name: "track_ended", Data: trackEvent(*next.Track)})
		}
		return next, events, nil
	case "clear":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		if !s.Playing {
			return s, events, nil // already nothing playing: no write, no broadcast
		}
		s.Playing, s.Ended, s.StoppedAt = false, false, now
		return s, append(events, Event{Name: "track_stopped"}), nil
	default:
		return s, nil, UnknownAction(nowPlayingKind, a.Name)
	}
}

// setTrack applies a reported track. A poller reports the same song every
// few seconds with a start time that wobbles by its latency: that changes
// nothing, so the progress bar never jumps back and nothing is written.
func setTrack(s NowPlayingState, t Track, now time.Time) (NowPlayingState, bool) {
	if old := s.Track; old != nil && old.sameSong(t) && (s.Playing || s.Ended) {
		explicit := !t.StartedAt.IsZero()
		if explicit && absDuration(t.StartedAt.Sub(old.StartedAt)) > startedJitter {
			return startTrack(s, t, now), true // played again, or sought
		}
		if !s.Playing {
			// The song that just ended, reported again by a late poll: stays
			// the last known track (a replay comes with a new started_at).
			return s, false
		}
		merged := *old
		merged.ArtURL, merged.DurationMs = t.ArtURL, t.DurationMs
		if merged != *old {
			s.Track = &merged
			s = endIfOver(s, now)
		}
		return s, false
	}
	return startTrack(s, t, now), true
}

func startTrack(s NowPlayingState, t Track, now time.Time) NowPlayingState {
	if t.StartedAt.IsZero() {
		t.StartedAt = now
	}
	s.Track, s.Playing, s.Ended, s.StoppedAt = &t, true, false, time.Time{}
	s.Changes++
	return endIfOver(s, now)
}

// endIfOver marks a track whose end has passed as ended (a report of a song
// that is already over is kept as the last known track).
func endIfOver(s NowPlayingState, now time.Time) NowPlayingState {
	if !s.Playing || s.Track == nil {
		return s
	}
	if end, ok := s.Track.End(); ok && !now.Before(end) {
		s.Playing, s.Ended, s.StoppedAt = false, true, end
	}
	return s
}

// Settle implements Kind: a track ends at started_at + duration and stays
// as the last known track.
func (NowPlaying) Settle(_ NowPlayingConfig, s NowPlayingState, now time.Time) (NowPlayingState, []Event, bool) {
	next := endIfOver(s, now)
	if next.Playing == s.Playing {
		return s, nil, false
	}
	return next, []Event{{Name: "track_ended", Data: trackEvent(*next.Track)}}, true
}

// Timer implements Kind: wake at the playing track's end.
func (NowPlaying) Timer(_ NowPlayingConfig, s NowPlayingState, _ time.Time) Timer {
	if !s.Playing || s.Track == nil {
		return Timer{}
	}
	end, _ := s.Track.End()
	return Timer{At: end}
}

func decodeTrack(a Action, now time.Time) (Track, error) {
	var p struct {
		Title      *string `json:"title"`
		Artist     string  `json:"artist"`
		Album      string  `json:"album"`
		ArtURL     string  `json:"art_url"`
		StartedAt  string  `json:"started_at"`
		DurationMs *int64  `json:"duration_ms"`
		Source     string  `json:"source"`
	}
	if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
		return Track{}, InvalidPayload("set_track: %v", err)
	}
	if p.Title == nil {
		return Track{}, InvalidPayload("set_track needs a title")
	}
	t := Track{Title: strings.TrimSpace(*p.Title), Artist: strings.TrimSpace(p.Artist), Album: strings.TrimSpace(p.Album),
		ArtURL: strings.TrimSpace(p.ArtURL), Source: strings.TrimSpace(p.Source)}
	for _, f := range []struct {
		name, value string
		required    bool
	}{{"title", t.Title, true}, {"artist", t.Artist, false}, {"album", t.Album, false}} {
		if err := textField(f.name, f.value, maxTrackText, f.required); err != nil {
			return Track{}, err
		}
	}
	if !validURL(t.ArtURL) {
		return Track{}, InvalidPayload("art_url must be an https:// or http:// link of at most %d characters", maxURLLen)
	}
	if t.Source == "" {
		t.Source = defaultSource(a.By)
	}
	if !sourcePattern.MatchString(t.Source) {
		return Track{}, InvalidPayload("source must be 1 to 32 lowercase letters, digits, '_', '.' or '-'")
	}
	if p.DurationMs != nil {
		if *p.DurationMs < 0 || *p.DurationMs > maxTrackMs {
			return Track{}, InvalidPayload("duration_ms must be between 0 and %d (24 hours)", maxTrackMs)
		}
		t.DurationMs = *p.DurationMs
	}
	if p.StartedAt != "" {
		at, err := time.Parse(time.RFC3339Nano, p.StartedAt)
		if err != nil {
			return Track{}, InvalidPayload("started_at must be a time like 2025-03-01T20:00:00Z")
		}
		switch at = at.UTC(); {
		case at.After(now.Add(maxStartAhead)):
			return Track{}, InvalidPayload("started_at is in the future")
		case at.Before(now.Add(-maxStartedAgo)):
			return Track{}, InvalidPayload("started_at is more than 24 hours ago")
		case at.After(now):
			at = now
		}
		t.StartedAt = at
	}
	return t, nil
}

// defaultSource names who set a track when the payload does not.
func defaultSource(by By) string {
	if by.Role == RoleService && sourcePattern.MatchString(by.Service) {
		return by.Service
	}
	return "manual"
}

func trackEvent(t Track) map[string]any {
	return map[string]any{"title": t.Title, "artist": t.Artist, "album": t.Album, "source": t.Source}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
