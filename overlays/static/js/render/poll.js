// The poll overlay: the question, one bar per option (numbered, so chat can
// vote by number) filling with its share of the votes, the time left
// counted in the page from ends_at and the server-corrected clock, and the
// winner highlighted once closed. A poll not opened yet shows nothing (the
// manager's preview shows it, marked as such); a closed one hides after
// config.hide_after_close seconds if set.
import { parseTime } from "../runtime.js";
import { el, setText } from "../dom.js";

// Sizes in em of the appearance font size (32 px by default).
export const css = `
.kind-poll .poll-box { width: 26em; max-width: 100%; display: flex; flex-direction: column; gap: .4em; }
.kind-poll .poll-question { margin: 0; font-size: 1.3em; font-weight: 800; line-height: 1.2; overflow-wrap: anywhere; }
.kind-poll .poll-status { margin: 0; font-size: .65em; font-weight: 700; letter-spacing: .1em; text-transform: uppercase; opacity: .9; font-variant-numeric: tabular-nums; }
.kind-poll .poll-options { display: contents; }
.kind-poll .poll-row {
  position: relative; display: flex; align-items: center; gap: .5em; overflow: hidden;
  padding: .3em .55em; border-radius: .35em; text-align: left;
  background: rgba(0,0,0,.5); box-shadow: inset 0 0 0 2px rgba(255,255,255,.25);
}
.kind-poll .poll-fill {
  position: absolute; left: 0; top: 0; bottom: 0; width: 0;
  background: var(--sw-accent, #9147ff); opacity: .85;
  transition: width .45s cubic-bezier(.2,.8,.2,1);
}
.kind-poll .poll-num, .kind-poll .poll-title, .kind-poll .poll-count { position: relative; }
.kind-poll .poll-num {
  flex: none; width: 1.35em; height: 1.35em; border-radius: 50%; font-size: .75em; font-weight: 800;
  display: flex; align-items: center; justify-content: center; background: rgba(255,255,255,.9); color: #111; text-shadow: none;
}
.kind-poll .poll-title { flex: 1; min-width: 0; font-size: .85em; font-weight: 700; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kind-poll .poll-count { flex: none; font-size: .7em; font-weight: 700; font-variant-numeric: tabular-nums; }
.kind-poll .poll-row.winner { box-shadow: inset 0 0 0 3px #ffd166, 0 0 .6em rgba(255,209,102,.55); }
.kind-poll .poll-row.winner .poll-num { background: #ffd166; }
.kind-poll.closed .poll-row:not(.winner) { opacity: .7; }
.kind-poll.draft .poll-box { opacity: .6; }
.kind-poll .poll-total { margin: 0; font-size: .6em; font-weight: 600; opacity: .9; }
`;

// timeLeft formats the seconds until ends_at as m:ss.
export function timeLeft(endsAt, nowMs) {
  const end = parseTime(endsAt);
  if (Number.isNaN(end)) return "";
  const s = Math.max(0, Math.ceil((end - nowMs) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function mount(root, ctx) {
  const preview = !!(ctx && ctx.preview);
  const box = el("div", "poll-box");
  const question = el("p", "poll-question", "poll-question");
  const status = el("p", "poll-status", "poll-status");
  const list = el("div", "poll-options");
  const total = el("p", "poll-total", "poll-total");
  box.append(question, status, list, total);
  root.append(box);
  let rows = [];
  const fmt = new Intl.NumberFormat();

  function ensureRows(n) {
    if (rows.length === n) return;
    rows = Array.from({ length: n }, (_, i) => {
      const row = el("div", "poll-row", "poll-option");
      const fill = el("div", "poll-fill", "poll-fill");
      const num = el("span", "poll-num");
      num.textContent = String(i + 1);
      const title = el("span", "poll-title", "poll-title");
      const count = el("span", "poll-count", "poll-count");
      row.append(fill, num, title, count);
      return { row, fill, title, count };
    });
    list.replaceChildren(...rows.map((r) => r.row));
  }

  return {
    render(widget, nowMs) {
      const cfg = widget.config || {};
      const s = widget.state || {};
      const options = Array.isArray(s.options) ? s.options : [];
      const closedFor = (nowMs - parseTime(s.closed_at)) / 1000;
      // The manager's preview shows a poll not opened yet, so its look can be set up.
      const draft = s.status === "idle" && preview;
      const hidden = s.status !== "open" && s.status !== "closed" ? !draft
        : s.status === "closed" && cfg.hide_after_close > 0 && closedFor >= cfg.hide_after_close;
      box.hidden = hidden;
      root.dataset.status = hidden ? "hidden" : s.status;
      if (hidden) return;
      root.classList.toggle("closed", s.status === "closed");
      root.classList.toggle("draft", draft);

      setText(question, s.question || "");
      let st;
      if (draft) st = "Not open yet (preview)";
      else if (s.status === "closed") st = (s.winners || []).length > 1 ? "Poll closed · tie" : "Poll closed";
      else st = s.ends_at ? `Vote now · ${timeLeft(s.ends_at, nowMs)} left` : "Vote now";
      setText(status, st);

      ensureRows(options.length);
      const sum = options.reduce((n, o) => n + Math.max(0, o.votes || 0), 0);
      const winners = new Set(s.status === "closed" ? s.winners || [] : []);
      options.forEach((o, i) => {
        const r = rows[i];
        const votes = Math.max(0, o.votes || 0);
        const pct = sum > 0 ? (votes / sum) * 100 : 0;
        setText(r.title, o.title || "");
        const w = `${pct.toFixed(2)}%`;
        if (r.fill.style.width !== w) r.fill.style.width = w;
        const parts = [];
        if (cfg.show_votes !== false) parts.push(fmt.format(votes));
        if (cfg.show_percent !== false) parts.push(`${Math.round(pct)}%`);
        setText(r.count, parts.join(" · "));
        r.count.hidden = parts.length === 0;
        r.row.classList.toggle("winner", winners.has(o.id));
      });
      setText(total, `${fmt.format(sum)} ${sum === 1 ? "vote" : "votes"}`);
      total.hidden = cfg.show_votes === false;
    },
  };
}
