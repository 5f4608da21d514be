package nowplaying

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// SpotifyService is the credentials' service name.
const SpotifyService = "spotify"

// Spotify reads the owner's currently-playing track with their stored
// tokens (service "spotify"), refreshing on 401. Spotify may rotate the
// refresh token: the new one is stored with a versioned write.
type Spotify struct {
	APIBase      string // default https://api.spotify.com/v1
	TokenURL     string // default https://accounts.spotify.com/api/token
	ClientID     string
	ClientSecret persistence.Secret
	Owner        string
	Creds        persistence.CredentialStore
	HTTP         *http.Client

	creds persistence.Credentials
}

// Name implements Source.
func (*Spotify) Name() string { return "spotify" }

// Current implements Source: 204 means idle; a paused player is idle too.
func (s *Spotify) Current(ctx context.Context) (*Track, bool, error) {
	if s.creds.AccessToken == "" {
		c, err := s.Creds.GetCredentials(ctx, s.Owner, SpotifyService)
		if err != nil {
			return nil, false, fmt.Errorf("nowplaying: spotify credentials: %w", err)
		}
		s.creds = c
	}
	t, idle, status, err := s.current(ctx)
	if status == http.StatusUnauthorized {
		if err := s.refresh(ctx); err != nil {
			return nil, false, err
		}
		t, idle, _, err = s.current(ctx)
	}
	return t, idle, err
}

func (s *Spotify) current(ctx context.Context) (*Track, bool, int, error) {
	base := s.APIBase
	if base == "" {
		base = "https://api.spotify.com/v1"
	}
	req, _ := http.NewRequest(http.MethodGet, strings.TrimRight(base, "/")+"/me/player/currently-playing", nil)
	req.Header.Set("Authorization", "Bearer "+s.creds.AccessToken.Reveal())
	var out struct {
		IsPlaying bool `json:"is_playing"`
		Item      *struct {
			ID         string `json:"id"`
			Name       string `json:"name"`
			DurationMS int    `json:"duration_ms"`
			Artists    []struct {
				Name string `json:"name"`
			} `json:"artists"`
			Album struct {
				Name   string `json:"name"`
				Images []struct {
					URL string `json:"url"`
				} `json:"images"`
			} `json:"album"`
		} `json:"item"`
	}
	status, err := getJSON(ctx, s.HTTP, req, &out)
	switch {
	case err != nil:
		return nil, false, status, err
	case status == http.StatusNoContent:
		return nil, true, status, nil
	case status == http.StatusUnauthorized:
		return nil, false, status, errors.New("nowplaying: spotify refused the access token")
	case status != http.StatusOK:
		return nil, false, status, fmt.Errorf("nowplaying: spotify: HTTP %d", status)
	case !out.IsPlaying:
		return nil, true, status, nil
	case out.Item == nil:
		return nil, false, status, nil // an ad or a podcast: cannot tell
	}
	t := &Track{ID: out.Item.ID, Title: out.Item.Name, Album: out.Item.Album.Name, DurationMS: out.Item.DurationMS}
	names := make([]string, 0, len(out.Item.Artists))
	for _, a := range out.Item.Artists {
		names = append(names, a.Name)
	}
	t.Artist = strings.Join(names, ", ")
	if len(out.Item.Album.Images) > 0 {
		t.ArtURL = out.Item.Album.Images[0].URL // largest first
	}
	return t, false, status, nil
}

// refresh gets a new access token and stores it; another writer's newer
// tokens are adopted rather than overwritten.
func (s *Spotify) refresh(ctx context.Context) error {
	if latest, err := s.Creds.GetCredentials(ctx, s.Owner, SpotifyService); err == nil && latest.Version != s.creds.Version {
		s.creds = latest
		return nil
	}
	tokenURL := s.TokenURL
	if tokenURL == "" {
		tokenURL = "https://accounts.spotify.com/api/token"
	}
	out, status, err := postSpotifyToken(ctx, s.HTTP, tokenURL, s.ClientID, s.ClientSecret,
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.creds.RefreshToken.Reveal()}})
	switch {
	case err != nil:
		return err
	case status == http.StatusBadRequest:
		return ErrRevoked
	case status != http.StatusOK || out.Access == "":
		return fmt.Errorf("nowplaying: spotify token refresh: HTTP %d", status)
	}
	next := s.creds
	next.AccessToken, next.ExpiresAt = persistence.Secret(out.Access), time.Now().Add(time.Duration(out.ExpiresIn)*time.Second)
	if out.Refresh != "" {
		next.RefreshToken = persistence.Secret(out.Refresh)
	}
	saved, err := s.Creds.PutCredentials(ctx, s.Owner, SpotifyService, next, s.creds.Version)
	if err != nil {
		// Use the new token now; a conflict means someone stored newer ones,
		// which the next refresh adopts.
		s.creds.AccessToken = next.AccessToken
		s.creds.RefreshToken = next.RefreshToken
		return nil
	}
	s.creds = saved
	return nil
}
