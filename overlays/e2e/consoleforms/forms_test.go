package consoleforms

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// q is a selector for a data-testid (quoted: ids hold dots, "field-rules.0.label").
func q(testid string) string { return fmt.Sprintf(`[data-testid=%q]`, testid) }

// set types into a control as a user would: the value, then input and change events.
func set(t *testing.T, tab context.Context, testid, value string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return "missing";
		el.value = %q; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return "ok" })()`, q(testid), value)
	if got := eval(t, tab, js); got != "ok" {
		t.Fatalf("no control %s", testid)
	}
}

func click(t *testing.T, tab context.Context, testid string) {
	t.Helper()
	if got := eval(t, tab, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return "missing"; el.click(); return "ok" })()`, q(testid))); got != "ok" {
		t.Fatalf("no control %s to click", testid)
	}
}

// fieldError is the inline message shown under a control ("" if none).
func fieldError(testid string) string {
	return fmt.Sprintf(`(() => { const f = document.querySelector(%q)?.closest(".field, fieldset"); const e = f && f.querySelector(":scope > .field-error"); return e && !e.hidden ? e.textContent : "" })()`, q(testid))
}

type sinkRecord struct {
	ID     string     `json:"id"`
	Title  string     `json:"title"`
	Config sinkConfig `json:"config"`
	State  sinkState  `json:"state"`
}

// TestConsoleFormsFromSchemas: every schema shape of docs/kinds.md becomes a
// working control, values round-trip through the server in the right types,
// problems show at their field (before sending and from the server's
// message), and actions come from the kind's specs: plain buttons, an inline
// one-field form, a dialog for several fields; hidden and viewer-only
// actions get no button; x-active-when marks the current state's button.
func TestConsoleFormsFromSchemas(t *testing.T) {
	srv := startServer(t)
	tab := browser(t)
	run(t, tab, chromedp.Navigate(srv.signInLink("erin")), chromedp.WaitVisible(q("config-form")))
	set(t, tab, "kind-select", "sink")
	waitFor(t, tab, "the sink form", `document.querySelector('[data-testid="field-rules.0.label"]')?.value`, 5*time.Second, equals("Follows"))

	// One control per shape, prefilled from the kind's defaults.
	shapes := eval(t, tab, `["message","color","link","starts","mode","count","ratio","hold","loud","blocked","font_size"].map((k) => {
		const el = document.querySelector('[data-testid="field-' + k + '"]'); return k + ":" + el.tagName.toLowerCase() + "/" + (el.type || "") }).join(" ")`)
	if want := "message:textarea/textarea color:input/color link:input/url starts:input/datetime-local mode:select/select-one count:input/number ratio:input/number hold:input/text loud:input/checkbox blocked:textarea/textarea font_size:input/number"; shapes != want {
		t.Fatalf("controls:\n got %s\nwant %s", shapes, want)
	}
	if got := eval(t, tab, `[...document.querySelector('[data-testid="field-mode"]').options].map((o) => o.value + "=" + o.textContent).join(",")`); got != "quiet=Quiet,loud_and_clear=Loud and clear" {
		t.Fatalf("mode options %q", got)
	}
	if got := eval(t, tab, `document.querySelector('[data-testid="field-hold"]').value + "|" + document.querySelector('[data-testid="field-rules.0.hold"]').value`); got != "5:00|0:05" {
		t.Fatalf("durations shown as %q, want 5:00|0:05", got)
	}
	if got := eval(t, tab, `document.querySelector('[data-testid="group-appearance"]').open + "|" + !!document.querySelector('[data-testid="group-appearance"] [data-testid="field-font_size"]')`); got != "false|true" {
		t.Fatalf("appearance section (open|holds font size) %q", got)
	}
	// The on-stream title follows the name unless typed.
	if got := eval(t, tab, `document.querySelector('[data-testid="field-title"]').value`); got != "" {
		t.Fatalf("a new widget's on-stream title is prefilled with %q", got)
	}
	if got := eval(t, tab, `document.querySelector("label[for=f-name]").textContent + "|" + document.querySelector('[data-testid="field-title"]').closest(".field").querySelector("label").textContent`); !strings.Contains(got, "not shown on stream") || !strings.Contains(got, "|Title (shown on stream)") {
		t.Fatalf("labels %q do not say which title is on stream", got)
	}
	set(t, tab, "field-name", "Kitchen")
	if got := eval(t, tab, `document.querySelector('[data-testid="field-title"]').placeholder`); !strings.Contains(got, "Kitchen") {
		t.Fatalf("on-stream title placeholder %q does not follow the name", got)
	}

	// A duration that is not one: the field says so and nothing is sent.
	set(t, tab, "field-hold", "1:2:3:4")
	run(t, tab, chromedp.Click(q("save")))
	waitFor(t, tab, "the duration's inline error", fieldError("field-hold"), 3*time.Second, contains("h:mm:ss"))
	if n := eval(t, tab, `document.querySelectorAll("[data-testid=widget-item]").length`); n != "0" {
		t.Fatalf("an invalid form created %s widgets", n)
	}
	set(t, tab, "field-hold", "1:02:03")
	if got := eval(t, tab, `document.querySelector('[data-testid="field-hold"]').closest(".field").querySelector(".hint").textContent`); got != "= 1 h 2 min 3 s" {
		t.Fatalf("duration hint %q", got)
	}
	if got := eval(t, tab, fieldError("field-hold")); got != "" {
		t.Fatalf("typing did not clear the error: %q", got)
	}

	// Every other shape.
	set(t, tab, "field-message", "line one\nline two")
	set(t, tab, "field-color", "#112233")
	set(t, tab, "field-link", "https://example.com/x")
	set(t, tab, "field-starts", "2030-01-02T03:04")
	set(t, tab, "field-mode", "loud_and_clear")
	set(t, tab, "field-count", "3")
	set(t, tab, "field-ratio", "0.5")
	click(t, tab, "field-loud")
	set(t, tab, "field-blocked", "nightbot\n\n streamelements ")
	click(t, tab, "field-types.tip")
	click(t, tab, "field-types.raid")
	// The list: add two (the maximum is 3), drop the first, move one up.
	click(t, tab, "add-field-rules")
	set(t, tab, "field-rules.1.label", "Raids")
	set(t, tab, "field-rules.1.event", "raid")
	set(t, tab, "field-rules.1.min", "10")
	set(t, tab, "field-rules.1.hold", "1:30")
	click(t, tab, "add-field-rules")
	if got := eval(t, tab, `document.querySelector('[data-testid="add-field-rules"]').disabled`); got != "true" {
		t.Fatal("add stays enabled at maxItems")
	}
	click(t, tab, "remove-field-rules.0")
	set(t, tab, "field-rules.1.label", "Subs")
	set(t, tab, "field-rules.1.event", "gift_sub")
	set(t, tab, "field-rules.1.hold", "7")
	click(t, tab, "up-field-rules.1")
	if got := eval(t, tab, `document.querySelector('[data-testid="field-rules.0.label"]').value + "," + document.querySelector('[data-testid="field-rules.1.label"]').value`); got != "Subs,Raids" {
		t.Fatalf("after move up the rules are %q", got)
	}
	run(t, tab, chromedp.Click(q("save")))
	waitFor(t, tab, "the new widget", `document.querySelectorAll("[data-testid=widget-item]").length`, 5*time.Second, equals("1"))
	id := eval(t, tab, `document.querySelector("[data-testid=widget-item]").dataset.id`)

	var rec sinkRecord
	srv.record("erin", id, &rec)
	startsUTC := eval(t, tab, `new Date("2030-01-02T03:04").toISOString()`)
	want := sinkConfig{Title: "Kitchen", Message: "line one\nline two", Color: "#112233", Link: "https://example.com/x", Starts: startsUTC,
		Mode: "loud_and_clear", Count: 3, Ratio: 0.5, Hold: 3723, Loud: true,
		Rules:   []sinkRule{{Label: "Subs", Event: "gift_sub", Hold: 7}, {Label: "Raids", Event: "raid", Min: 10, Hold: 90}},
		Blocked: []string{"nightbot", "streamelements"}, Types: []string{"raid", "tip"}, FontSize: 32, TextColor: "#ffffff"}
	if rec.Title != "Kitchen" || !reflect.DeepEqual(rec.Config, want) {
		t.Fatalf("stored %q %+v\n want %+v", rec.Title, rec.Config, want)
	}

	// The edit form shows what is stored, durations as h:mm:ss; the head says what the stream shows.
	waitFor(t, tab, "the edit form", `document.querySelector('[data-testid="field-hold"]')?.value`, 5*time.Second, equals("1:02:03"))
	if got := eval(t, tab, text(q("on-stream-title"))); got != "On stream: “Kitchen”" {
		t.Fatalf("head says %q", got)
	}
	if got := eval(t, tab, `document.querySelector('[data-testid="field-starts"]').value + "|" + document.querySelector('[data-testid="field-rules.1.hold"]').value`); got != "2030-01-02T03:04|1:30" {
		t.Fatalf("edit form shows %q", got)
	}

	// The server's refusals land under their field: a list item's field, and
	// one in the collapsed Appearance section, which opens.
	set(t, tab, "field-rules.1.sound", "ftp://example.com/a.mp3")
	run(t, tab, chromedp.Click(q("save")))
	waitFor(t, tab, "the list item's inline error", fieldError("field-rules.1.sound"), 5*time.Second, contains("https://"))
	if got := eval(t, tab, text(q("form-error"))); !strings.Contains(got, "rules[1].sound") {
		t.Fatalf("form error %q", got)
	}
	set(t, tab, "field-rules.1.sound", "")
	set(t, tab, "field-font_size", "300")
	run(t, tab, chromedp.Click(q("save")))
	waitFor(t, tab, "the appearance field's inline error", fieldError("field-font_size"), 5*time.Second, contains("between 8 and 200"))
	if got := eval(t, tab, `document.querySelector('[data-testid="group-appearance"]').open`); got != "true" {
		t.Fatal("an error in the collapsed Appearance section leaves it closed")
	}
	set(t, tab, "field-font_size", "40")
	run(t, tab, chromedp.Click(q("save")))
	waitFor(t, tab, "saved", text(q("form-error")), 5*time.Second, contains("Saved"))
	screenshot(t, tab, "console-forms")

	// Actions: the kind's specs, not names the console knows.
	buttons := eval(t, tab, `[...document.querySelectorAll("[data-testid^=action-]")].filter((b) => b.tagName === "BUTTON").map((b) => b.dataset.testid).sort().join(",")`)
	if buttons != "action-announce,action-note,action-start,action-stop" {
		t.Fatalf("action buttons %q (hidden and viewer-only actions must have none)", buttons)
	}
	pressed := `["start","stop"].map((a) => document.querySelector("[data-testid=action-" + a + "]").getAttribute("aria-pressed")).join(",")`
	waitFor(t, tab, "stop marked as current", pressed, 5*time.Second, equals("false,true"))
	click(t, tab, "action-start")
	waitFor(t, tab, "start marked as current", pressed, 5*time.Second, equals("true,false"))

	// One field: inline. Empty is refused before sending.
	click(t, tab, "action-note")
	waitFor(t, tab, "the empty note refused", text(q("action-result")), 3*time.Second, contains("Enter note"))
	set(t, tab, "payload-note-text", "hello")
	click(t, tab, "action-note")
	waitFor(t, tab, "the note sent", text(q("action-result")), 5*time.Second, equals("✓ Note"))
	srv.record("erin", id, &rec)
	if string(rec.State.Payload) != `{"text":"hello"}` {
		t.Fatalf("note payload %s", rec.State.Payload)
	}

	// Several fields: a dialog; the server's refusal shows at its field.
	click(t, tab, "action-announce")
	waitFor(t, tab, "the dialog", `document.querySelector("[data-testid=dialog-announce]").open`, 3*time.Second, equals("true"))
	set(t, tab, "payload-announce-text", "bad")
	click(t, tab, "send-announce")
	waitFor(t, tab, "the payload field's inline error", fieldError("payload-announce-text"), 5*time.Second, contains(`must not be "bad"`))
	screenshot(t, tab, "console-action-dialog")
	set(t, tab, "payload-announce-text", "Hi")
	set(t, tab, "payload-announce-seconds", "1:30")
	click(t, tab, "payload-announce-loud")
	click(t, tab, "send-announce")
	waitFor(t, tab, "the dialog to close", `document.querySelector("[data-testid=dialog-announce]").open`, 5*time.Second, equals("false"))
	srv.record("erin", id, &rec)
	var got map[string]any
	_ = json.Unmarshal(rec.State.Payload, &got)
	if !reflect.DeepEqual(got, map[string]any{"text": "Hi", "color": "#ffffff", "seconds": 90.0, "loud": true}) {
		t.Fatalf("announce payload %s", rec.State.Payload)
	}

	// A kind without a render module: the preview says so instead of staying blank.
	waitFor(t, tab, "the preview's notice", text(q("preview-notice")), 5*time.Second, contains("cannot draw"))
}
