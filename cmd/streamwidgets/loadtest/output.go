package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// secondRow is one second of the run, for seconds.csv and the charts.
type secondRow struct {
	T                                       float64 // seconds since the action phase began (negative: connecting)
	UpdateP50, UpdateP90, UpdateP99, UpdMax float64 // ms
	AckP50, AckP99                          float64 // ms
	Deliveries, Sent, Acked, Failed         int64
	Connected                               float64 // sockets (from the server's gauge, else -1)
	ClientConnected                         float64 // sockets the tool has ready
	CPU, RSS                                float64 // server: % of a core, MiB
}

func (r *run) rows() []secondRow {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	action := r.actionStart()
	last := 0
	for i := range r.ser.secs {
		s := &r.ser.secs[i]
		if s.deliveries.Load()+s.sent.Load()+s.connect.n.Load()+s.acked.Load() > 0 {
			last = i
		}
	}
	r.mu.Lock()
	scrapes := append([]scrape(nil), r.scrapes...)
	r.mu.Unlock()
	var rows []secondRow
	for i := 0; i <= last; i++ {
		s := &r.ser.secs[i]
		at := r.ser.start.Add(time.Duration(i) * time.Second)
		u, umax := s.update.quantiles(0.5, 0.9, 0.99)
		a, _ := s.response.quantiles(0.5, 0.99)
		row := secondRow{T: at.Sub(action).Seconds(), UpdateP50: ms(u[0]), UpdateP90: ms(u[1]), UpdateP99: ms(u[2]), UpdMax: ms(umax),
			AckP50: ms(a[0]), AckP99: ms(a[1]), Deliveries: s.deliveries.Load(), Sent: s.sent.Load(), Acked: s.acked.Load(),
			Failed: s.failed.Load(), Connected: -1, ClientConnected: float64(s.connected.Load())}
		// The server's figures for this second: the scrapes around it.
		j := sort.Search(len(scrapes), func(k int) bool { return scrapes[k].at.After(at.Add(time.Second)) })
		if j > 0 && j < len(scrapes)+1 {
			b := scrapes[j-1]
			if v, ok := b.get(mSockets); ok {
				row.Connected = v
			}
			if v, ok := b.get(mRSS); ok {
				row.RSS = v / (1 << 20)
			}
			if j > 1 {
				a := scrapes[j-2]
				c0, ok0 := a.get(mCPU)
				c1, ok1 := b.get(mCPU)
				if ok0 && ok1 {
					row.CPU = 100 * (c1 - c0) / b.at.Sub(a.at).Seconds()
				}
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// writeOut writes samples.csv (every latency measured), seconds.csv and
// report.html (self-contained: inline SVG, no scripts from elsewhere).
func (r *run) writeOut(sum *Summary) error {
	dir := r.cfg.Out
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := r.writeSamples(filepath.Join(dir, "samples.csv")); err != nil {
		return err
	}
	rows := r.rows()
	var b bytes.Buffer
	b.WriteString("t_s,update_p50_ms,update_p90_ms,update_p99_ms,update_max_ms,ack_p50_ms,ack_p99_ms,deliveries,actions_sent,actions_acked,actions_refused,tool_sockets,server_sockets,server_cpu_pct,server_rss_mib\n")
	for _, x := range rows {
		fmt.Fprintf(&b, "%.0f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%d,%d,%d,%.0f,%.0f,%.1f,%.1f\n", x.T, x.UpdateP50, x.UpdateP90, x.UpdateP99, x.UpdMax,
			x.AckP50, x.AckP99, x.Deliveries, x.Sent, x.Acked, x.Failed, x.ClientConnected, x.Connected, x.CPU, x.RSS)
	}
	if err := os.WriteFile(filepath.Join(dir, "seconds.csv"), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	html, err := renderHTML(sum, rows)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.html"), html, 0o644)
}

func (r *run) writeSamples(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	_, _ = w.WriteString("t_ms,kind,latency_us,session,role\n")
	offset := r.actionStart().Sub(r.ser.start) // t_ms is since the action phase began
	kinds := map[byte]string{'u': "state_update", 'r': "action_response", 'c': "connect"}
	var line []byte
	for _, s := range r.sessions {
		role := "viewer"
		if s.manager {
			role = "manager"
		}
		for _, x := range s.samples {
			line = strconv.AppendInt(line[:0], (x.at - offset).Milliseconds(), 10)
			line = append(append(append(line, ','), kinds[x.kind]...), ',')
			line = strconv.AppendInt(line, x.latency.Microseconds(), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(s.id), 10)
			line = append(append(append(line, ','), role...), '\n')
			_, _ = w.Write(line)
		}
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("--out: %w", err)
	}
	return f.Close()
}

// chart is one inline SVG line chart.
type chart struct {
	Title, Unit string
	Lines       []line
}

type line struct {
	Name, Color string
	Y           []float64 // one per row; negative: no value
}

// svg draws c over xs (seconds) as an SVG fragment.
func (c chart) svg(xs []float64) template.HTML {
	const w, h, left, bottom, top, right = 880.0, 240.0, 60.0, 30.0, 10.0, 120.0
	if len(xs) == 0 {
		return ""
	}
	xmin, xmax := xs[0], xs[len(xs)-1]
	if xmax <= xmin {
		xmax = xmin + 1
	}
	ymax := 0.0
	for _, l := range c.Lines {
		for _, y := range l.Y {
			ymax = max(ymax, y)
		}
	}
	if ymax <= 0 {
		ymax = 1
	}
	ymax = niceCeil(ymax)
	px := func(x float64) float64 { return left + (x-xmin)/(xmax-xmin)*(w-left-right) }
	py := func(y float64) float64 { return top + (1-y/ymax)*(h-top-bottom) }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">`, w, h, w, h)
	for i := 0; i <= 4; i++ {
		y := ymax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			left, w-right, py(y), py(y), left-4, py(y)+4, fmtNum(y))
	}
	for _, x := range ticks(xmin, xmax) {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="middle">%s s</text>`,
			px(x), px(x), top, h-bottom, px(x), h-bottom+14, fmtNum(x))
	}
	if xmin < 0 && xmax > 0 { // the action phase begins at 0
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 3"/>`, px(0), px(0), top, h-bottom)
	}
	for k, l := range c.Lines {
		var pts bytes.Buffer
		for i, y := range l.Y {
			if y < 0 || i >= len(xs) {
				continue
			}
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(xs[i]), py(y))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, l.Color, pts.String())
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`,
			w-right+10, top+float64(k)*16, l.Color, w-right+24, top+float64(k)*16+9, template.HTMLEscapeString(l.Name))
	}
	fmt.Fprintf(&b, `<text x="4" y="%.0f" transform="rotate(-90 4 %.0f)" dy="8" text-anchor="middle">%s</text></svg>`, h/2, h/2, template.HTMLEscapeString(c.Unit))
	return template.HTML(b.String())
}

func niceCeil(v float64) float64 {
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v*10 {
		p /= 10
	}
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return v
}

func ticks(lo, hi float64) []float64 {
	step := niceCeil((hi - lo) / 8)
	var out []float64
	for x := float64(int(lo/step)) * step; x <= hi; x += step {
		if x >= lo {
			out = append(out, x)
		}
	}
	return out
}

func fmtNum(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

var reportTemplate = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>streamwidgets load test: {{.Sum.Config.Profile}}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap;font-size:12px}
h2{margin-top:1.6em;font-size:1.1em}.pass{color:#176b2c}.fail{color:#a31515}</style></head><body>
<h1>streamwidgets load test — {{.Sum.Config.Profile}}</h1>
<p>{{.Sum.Started.Format "2006-01-02 15:04:05 MST"}} against {{.Sum.Config.URL}}.
<strong class="{{if .Sum.Passed}}pass{{else}}fail{{end}}">{{if .Sum.Passed}}Nothing lost, duplicated or out of order.{{else}}Versions lost, duplicated or out of order, or sockets missing: see the summary.{{end}}</strong></p>
<pre>{{.Text}}</pre>
<p>Time 0 is when actions began (dashed line); before it, sockets connect. Raw data beside this file: samples.csv (every latency measured), seconds.csv (these charts).</p>
{{range .Charts}}<h2>{{.Title}}</h2>{{.SVG}}{{end}}
</body></html>
`))

func renderHTML(sum *Summary, rows []secondRow) ([]byte, error) {
	xs := make([]float64, len(rows))
	col := func(f func(secondRow) float64) []float64 {
		out := make([]float64, len(rows))
		for i, r := range rows {
			out[i] = f(r)
		}
		return out
	}
	for i, r := range rows {
		xs[i] = r.T
	}
	noZero := func(f func(secondRow) float64) func(secondRow) float64 {
		return func(r secondRow) float64 {
			if v := f(r); v > 0 {
				return v
			}
			return -1
		}
	}
	charts := []chart{
		{Title: "Action → state update at every subscriber (latency percentiles per second)", Unit: "ms", Lines: []line{
			{"p50", "#1f77b4", col(noZero(func(r secondRow) float64 { return r.UpdateP50 }))},
			{"p90", "#2ca02c", col(noZero(func(r secondRow) float64 { return r.UpdateP90 }))},
			{"p99", "#ff7f0e", col(noZero(func(r secondRow) float64 { return r.UpdateP99 }))},
			{"max", "#d62728", col(noZero(func(r secondRow) float64 { return r.UpdMax }))}}},
		{Title: "Action → WIDGET_ACTION_RESPONSE", Unit: "ms", Lines: []line{
			{"p50", "#1f77b4", col(noZero(func(r secondRow) float64 { return r.AckP50 }))},
			{"p99", "#ff7f0e", col(noZero(func(r secondRow) float64 { return r.AckP99 }))}}},
		{Title: "State updates delivered per second (all subscribers)", Unit: "per second", Lines: []line{
			{"deliveries", "#9467bd", col(func(r secondRow) float64 { return float64(r.Deliveries) })}}},
		{Title: "Actions per second", Unit: "per second", Lines: []line{
			{"sent", "#1f77b4", col(func(r secondRow) float64 { return float64(r.Sent) })},
			{"acknowledged", "#2ca02c", col(func(r secondRow) float64 { return float64(r.Acked) })},
			{"refused", "#d62728", col(func(r secondRow) float64 { return float64(r.Failed) })}}},
		{Title: "Connections (the server's open sockets)", Unit: "sockets", Lines: []line{
			{"server: open", "#8c564b", col(func(r secondRow) float64 { return r.Connected })},
			{"tool: subscribed", "#17becf", col(func(r secondRow) float64 { return r.ClientConnected })}}},
		{Title: "Server CPU and memory", Unit: "% of a core / MiB", Lines: []line{
			{"CPU %", "#e377c2", col(func(r secondRow) float64 { return r.CPU })},
			{"RSS MiB", "#7f7f7f", col(func(r secondRow) float64 { return r.RSS })}}},
	}
	type rendered struct {
		Title string
		SVG   template.HTML
	}
	var out []rendered
	for _, c := range charts {
		out = append(out, rendered{c.Title, c.svg(xs)})
	}
	var text bytes.Buffer
	sum.WriteText(&text)
	var b bytes.Buffer
	err := reportTemplate.Execute(&b, map[string]any{"Sum": sum, "Text": text.String(), "Charts": out})
	return b.Bytes(), err
}
