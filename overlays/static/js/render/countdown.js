// The countdown overlay: caption, title and the time left, rendered every
// frame from the state and the server-corrected clock.
import { parseTime } from "../runtime.js";
import { el, setText } from "../dom.js";

// Sizes in em of the appearance font size (32 px by default).
export const css = `
.kind-countdown .cd-text { font-size: 1.375em; margin: 0 0 .2em; font-weight: 500; opacity: .95; }
.kind-countdown .cd-title { font-size: 3em; margin: 0; font-weight: 800; letter-spacing: .01em; }
.kind-countdown .cd-time {
  font-size: 6.875em; margin: 0; font-weight: 800; line-height: 1.05;
  font-variant-numeric: tabular-nums; letter-spacing: .02em;
}
.kind-countdown.paused .cd-time { opacity: .75; }
.kind-countdown.finished .cd-time { color: var(--sw-accent, #ffd166); }
`;

// remaining is the countdown's time left at nowMs (server-corrected clock).
export function remaining(state, nowMs) {
  if (!state) return 0;
  if (!state.enabled) return Math.max(0, state.duration_left || 0);
  const elapsed = Math.max(0, (nowMs - parseTime(state.last_tick_timestamp)) / 1000);
  return Math.max(0, state.duration_left - elapsed);
}

// format shows whole seconds rounded up, so 00:00 appears exactly at the end
// and every view flips the same second at the same instant. A day or more
// shows its days: "2d 03:04:05", not "51:04:05".
export function format(seconds) {
  const s = Math.max(0, Math.ceil(seconds - 1e-9));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d ${pad(h)}:${pad(m)}:${pad(s % 60)}`;
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export function mount(root) {
  const text = el("p", "cd-text");
  const title = el("h1", "cd-title");
  const time = el("p", "cd-time");
  time.dataset.testid = "countdown-time";
  root.append(text, title, time);
  return {
    // render runs every frame: cheap, and only touches the DOM on change.
    render(widget, nowMs) {
      const cfg = widget.config || {};
      setText(text, cfg.text || "");
      text.hidden = !cfg.text;
      setText(title, cfg.title || widget.title || "");
      const left = remaining(widget.state, nowMs);
      setText(time, format(left));
      root.classList.toggle("finished", left <= 0 && !!(widget.state && widget.state.finished));
      root.classList.toggle("paused", !(widget.state && widget.state.enabled) && left > 0);
    },
  };
}
