// A widget's recent history: any kind whose REST state keeps a top-level
// array named `log` (the alert box's last finished alerts) gets it listed,
// newest first, with a button per entry when the kind has a `replay` action
// whose payload fields the entries carry ({id}).
//
// Viewers' pushed state leaves the log out (it would be fanned out to every
// OBS view on every change), so the list is read from the REST record: again
// when the live version moves, at most once a second.
import { h, clear } from "./dom.js";
import { parseTime } from "./runtime.js";

const REFETCH_MS = 1000;

// replayAction is the kind's replay action, if a person may press it.
function replayAction(kind) {
  const a = (kind.actions || []).find((x) => x.name === "replay" && x.access !== "viewer");
  const props = a && a.payload_schema && a.payload_schema.properties;
  return props && Object.keys(props).length ? a : null;
}

// replayPayload takes the action's payload fields from an entry; null when
// the entry lacks a required one.
function replayPayload(spec, entry) {
  const schema = spec.payload_schema;
  for (const k of schema.required || []) if (entry[k] === undefined || entry[k] === null || entry[k] === "") return null;
  const out = {};
  for (const k of Object.keys(schema.properties)) if (entry[k] !== undefined) out[k] = entry[k];
  return out;
}

// when is an entry's latest timestamp (a finished alert: when it ended).
function when(entry) {
  let best = NaN;
  for (const [k, v] of Object.entries(entry)) {
    if (!k.endsWith("_at") || typeof v !== "string") continue;
    const t = parseTime(v);
    if (!Number.isNaN(t) && !(t <= best)) best = t;
  }
  return best;
}

function formatWhen(t) {
  if (Number.isNaN(t)) return "";
  const d = new Date(t);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

const words = (s) => String(s).replace(/_/g, " ");

// logPanel builds the card, or returns null for a kind that keeps no log.
// deps: { api, send(name, payload) → Promise<WIDGET_ACTION_RESPONSE> }.
// It returns { el, update(live), destroy() }.
export function logPanel(rec, kind, { api, send }) {
  const replay = replayAction(kind);
  const initial = rec.state && rec.state.log;
  if (!Array.isArray(initial) && !replay) return null;

  // Named after the kind's first word: "Alert Box" keeps "Recent alerts".
  const first = String(kind.name || "").split(/\s+/)[0].toLowerCase();
  const noun = first ? `${first}s` : "entries";
  const list = h("ol", { class: "log-list", "data-testid": "log-list", "aria-label": `Recent ${noun}` });
  const summary = h("p", { class: "muted small", "data-testid": "log-summary" });
  const result = h("p", { class: "muted result", role: "status", "data-testid": "log-result" });
  const el = h("div", { class: "card wide", "data-testid": "log-panel" }, h("h3", {}, `Recent ${noun}`), summary, list, result);

  let active = rec.active !== false;
  let shownVersion = rec.version; // the version the list was read at
  let wanted = rec.version;
  let lastFetch = 0;
  let timer = 0;
  let fetching = false;
  let gone = false;

  const render = (log) => {
    const entries = Array.isArray(log) ? [...log].reverse() : [];
    summary.textContent = entries.length
      ? `The last ${entries.length}, newest first.${replay ? ` ${replay.label || replay.name} shows one on stream again.` : ""}`
      : `None yet. Finished ${noun} appear here, newest first.`;
    clear(list);
    for (const e of entries) list.append(row(e));
  };

  const row = (e) => {
    const t = when(e);
    const tags = Object.entries(e).filter(([, v]) => v === true).map(([k]) => h("span", { class: "badge" }, words(k)));
    const li = h("li", { class: "log-entry", "data-testid": "log-entry", "data-id": e.id === undefined ? null : String(e.id) },
      h("time", { class: "log-when muted small", "data-testid": "log-when", datetime: Number.isNaN(t) ? null : new Date(t).toISOString(), title: Number.isNaN(t) ? null : new Date(t).toLocaleString() }, formatWhen(t)),
      e.type ? h("span", { class: "badge", "data-testid": "log-type" }, words(e.type)) : null,
      h("span", { class: "log-what" },
        e.name ? h("b", { "data-testid": "log-name" }, e.name) : null,
        typeof e.amount === "number" && e.amount !== 0 ? h("span", { class: "log-amount", "data-testid": "log-amount" }, e.amount.toLocaleString()) : null,
        e.message ? h("span", { class: "muted log-message", title: e.message }, e.message) : null),
      ...tags,
      e.outcome ? h("span", { class: `log-outcome outcome-${String(e.outcome).replace(/[^a-z_]/g, "")}`, "data-testid": "log-outcome" }, words(e.outcome)) : null);
    const payload = replay && replayPayload(replay, e);
    if (payload) {
      const btn = h("button", { type: "button", class: "secondary small", "data-testid": "log-replay" }, replay.label || replay.name);
      btn.disabled = !active;
      btn.onclick = async () => {
        btn.disabled = true;
        result.className = "muted result";
        result.textContent = `${replay.label || replay.name}…`;
        const r = await send(replay.name, payload);
        btn.disabled = !active;
        result.className = r.success ? "ok result" : "error result";
        result.textContent = r.success ? `✓ ${replay.label || replay.name}: ${e.name || e.id}` : `${replay.label || replay.name} failed: ${r.error || r.code || "no answer"}`;
      };
      li.append(btn);
    }
    return li;
  };

  const refetch = async () => {
    timer = 0;
    fetching = true;
    lastFetch = Date.now();
    const r = await api.call("GET", `/records/stream_widgets/${encodeURIComponent(rec.id)}`);
    fetching = false;
    if (gone) return;
    if (r.ok && r.data && r.data.version >= shownVersion) {
      shownVersion = r.data.version;
      render(r.data.state && r.data.state.log);
    }
    if (wanted > shownVersion && r.ok) schedule(); // it moved again while we read
  };
  const schedule = () => {
    if (timer || fetching || gone) return;
    timer = setTimeout(refetch, Math.max(0, lastFetch + REFETCH_MS - Date.now()));
  };

  render(initial);
  return {
    el,
    // update follows the live widget: a new version may have a new log.
    update(live) {
      if (!live) return;
      if (live.active !== undefined && (live.active !== false) !== active) {
        active = live.active !== false;
        for (const b of list.querySelectorAll("[data-testid=log-replay]")) b.disabled = !active;
      }
      if (live.version > wanted) wanted = live.version;
      if (wanted > shownVersion) schedule();
    },
    destroy() {
      gone = true;
      clearTimeout(timer);
    },
  };
}
