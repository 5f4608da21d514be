// Stream stats: viewers, followers, subscribers and the uptime, which ticks
// every frame from started_at and the server-corrected clock.
import { parseTime } from "../runtime.js";

export const css = `
.kind-stats .st-title { font-size: 1.1em; font-weight: 800; margin: 0 0 .3em; }
.kind-stats .st-row { display: flex; gap: 1.2em; flex-wrap: wrap; justify-content: var(--sw-align-items, center); }
.kind-stats .st-item { display: flex; flex-direction: column; align-items: center; }
.kind-stats .st-value { font-size: 1.6em; font-weight: 800; font-variant-numeric: tabular-nums; }
.kind-stats .st-label { font-size: .6em; text-transform: uppercase; letter-spacing: .08em; color: var(--sw-accent, #9147ff); font-weight: 800; }
.kind-stats .st-item.offline .st-value { opacity: .6; }
`;

export function uptime(state, nowMs) {
  if (!state || !state.live || !state.started_at) return null;
  const s = Math.max(0, Math.floor((nowMs - parseTime(state.started_at)) / 1000));
  const pad = (n) => String(n).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export function mount(root) {
  const title = document.createElement("h2");
  title.className = "st-title";
  const row = document.createElement("div");
  row.className = "st-row";
  const items = {};
  for (const [key, label] of [["viewers", "Viewers"], ["followers", "Followers"], ["subscribers", "Subs"], ["uptime", "Uptime"]]) {
    const item = document.createElement("div");
    item.className = "st-item";
    const value = document.createElement("span");
    value.className = "st-value";
    value.dataset.testid = `stat-${key}`;
    const caption = document.createElement("span");
    caption.className = "st-label";
    caption.textContent = label;
    item.append(value, caption);
    row.append(item);
    items[key] = { item, value };
  }
  root.append(title, row);
  const fmt = new Intl.NumberFormat();
  const set = (el, text) => { if (el.textContent !== text) el.textContent = text; };
  return {
    render(widget, nowMs) {
      const cfg = widget.config || {};
      const s = widget.state || {};
      set(title, cfg.title || "");
      title.hidden = !cfg.title;
      set(items.viewers.value, fmt.format(s.viewers || 0));
      set(items.followers.value, fmt.format(s.followers || 0));
      set(items.subscribers.value, fmt.format(s.subscribers || 0));
      const up = uptime(s, nowMs);
      set(items.uptime.value, up === null ? "Offline" : up);
      items.uptime.item.classList.toggle("offline", up === null);
      items.viewers.item.hidden = cfg.show_viewers === false;
      items.followers.item.hidden = cfg.show_followers === false;
      items.subscribers.item.hidden = cfg.show_subscribers === false;
      items.uptime.item.hidden = cfg.show_uptime === false;
    },
  };
}
