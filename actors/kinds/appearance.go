package kinds

import (
	"maps"
	"regexp"
)

// Appearance is the look every kind's overlay shares: embedded in each
// config, so its fields sit at the top level of the config JSON. The
// overlay runtime turns them into CSS variables on the widget's root.
type Appearance struct {
	FontFamily  string `json:"font_family"`
	FontSize    int    `json:"font_size"` // px
	TextColor   string `json:"text_color"`
	AccentColor string `json:"accent_color"`
	Align       string `json:"align"`   // left, center, right
	Outline     bool   `json:"outline"` // dark outline so text reads over any game
}

// DefaultAppearance is readable on a 1080p stream over a busy game.
func DefaultAppearance() Appearance {
	return Appearance{FontFamily: "Inter, system-ui, sans-serif", FontSize: 32, TextColor: "#ffffff",
		AccentColor: "#9147ff", Align: "center", Outline: true}
}

var (
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	// A font family list: names, spaces, commas, quotes and hyphens; nothing
	// that could close the CSS declaration it is set in.
	fontPattern = regexp.MustCompile(`^[A-Za-z0-9 ,'"\-]{1,100}$`)
)

// Validate checks every appearance field.
func (a Appearance) Validate() error {
	switch {
	case !fontPattern.MatchString(a.FontFamily):
		return InvalidConfig("font_family must be 1 to 100 letters, digits, spaces, commas, quotes or hyphens")
	case a.FontSize < 8 || a.FontSize > 200:
		return InvalidConfig("font_size must be between 8 and 200 (pixels)")
	case !colorPattern.MatchString(a.TextColor):
		return InvalidConfig("text_color must be a colour like #ffffff")
	case !colorPattern.MatchString(a.AccentColor):
		return InvalidConfig("accent_color must be a colour like #9147ff")
	case a.Align != "left" && a.Align != "center" && a.Align != "right":
		return InvalidConfig("align must be left, center or right")
	}
	return nil
}

// appearanceProps are the appearance fields' schemas, in the form's
// collapsed "Appearance" section.
func appearanceProps() map[string]any {
	group := func(s map[string]any) map[string]any { s["x-group"] = "appearance"; return s }
	return map[string]any{
		"font_family":  group(stringSchema("Font", 100)),
		"font_size":    group(intSchema("Font size (px)", 8, 200)),
		"text_color":   group(colorSchema("Text colour")),
		"accent_color": group(colorSchema("Accent colour")),
		"align":        group(enumSchema("Alignment", "left", "center", "right")),
		"outline":      group(boolSchema("Outline text (readable over any game)")),
	}
}

var appearanceOrder = []string{"font_family", "font_size", "text_color", "accent_color", "align", "outline"}

// withAppearance adds the appearance fields to a kind's config schema.
func withAppearance(schema map[string]any) map[string]any {
	props := maps.Clone(schema["properties"].(map[string]any))
	maps.Copy(props, appearanceProps())
	schema["properties"] = props
	order, _ := schema["x-order"].([]string)
	schema["x-order"] = append(append([]string{}, order...), appearanceOrder...)
	return schema
}
