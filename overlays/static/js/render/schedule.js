// The schedule: upcoming streams, the next one highlighted; a stream that is
// over disappears on its own (the server drops it; the page hides it at once).
import { parseTime } from "../runtime.js";

export const css = `
.kind-schedule .sc-title { font-size: 1.2em; font-weight: 800; margin: 0 0 .3em; }
.kind-schedule .sc-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .35em; }
.kind-schedule .sc-item { opacity: .85; }
.kind-schedule .sc-item.next { opacity: 1; }
.kind-schedule .sc-item.next .sc-when { color: var(--sw-accent, #9147ff); }
.kind-schedule .sc-when { font-weight: 800; margin-right: .5em; font-variant-numeric: tabular-nums; }
.kind-schedule .sc-name { font-weight: 700; }
.kind-schedule .sc-category { display: block; font-size: .7em; opacity: .85; }
`;

export function mount(root) {
  const title = document.createElement("h2");
  title.className = "sc-title";
  const list = document.createElement("ul");
  list.className = "sc-list";
  list.dataset.testid = "schedule-list";
  root.append(title, list);
  const when = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  let drawn = "";
  return {
    render(widget, nowMs) {
      const cfg = widget.config || {};
      const t = cfg.title || "";
      if (title.textContent !== t) title.textContent = t;
      title.hidden = !t;
      const assumed = (cfg.assumed_length || 4 * 3600) * 1000;
      const segs = ((widget.state && widget.state.segments) || [])
        .filter((s) => (s.end ? parseTime(s.end) : parseTime(s.start) + assumed) > nowMs)
        .slice(0, cfg.shown || 3);
      const key = segs.map((s) => [s.id, s.start, s.title, s.category, parseTime(s.start) <= nowMs].join("~")).join("|");
      if (key === drawn) return;
      drawn = key;
      list.replaceChildren(...segs.map((s, i) => {
        const li = document.createElement("li");
        li.className = i === 0 ? "sc-item next" : "sc-item";
        const w = document.createElement("span");
        w.className = "sc-when";
        w.textContent = parseTime(s.start) <= nowMs ? "Live now" : when.format(parseTime(s.start));
        const name = document.createElement("span");
        name.className = "sc-name";
        name.textContent = s.title;
        li.append(w, name);
        if (s.category) {
          const c = document.createElement("span");
          c.className = "sc-category";
          c.textContent = s.category;
          li.append(c);
        }
        return li;
      }));
    },
  };
}
