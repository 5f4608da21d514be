// The now-playing overlay: album art, title, artist, album and a progress
// bar drawn every frame from started_at + duration_ms and the
// server-corrected clock (the server sends no ticks). When nothing plays it
// shows the last known track, a line of text or nothing (config "idle").
import { parseTime } from "../runtime.js";
import { el, setText } from "../dom.js";

// Sizes in em of the appearance font size (32 px by default).
export const css = `
.kind-now_playing .np-card {
  display: flex; align-items: center; gap: .75em; max-width: 100%;
  width: 28em; transition: opacity .4s ease;
}
.kind-now_playing .np-card.right { flex-direction: row-reverse; }
.kind-now_playing .np-card.last { opacity: .72; }
.kind-now_playing .np-art {
  flex: none; width: 4.5em; height: 4.5em; border-radius: .3em; overflow: hidden;
  background: var(--sw-accent, #9147ff); box-shadow: 0 .15em .6em rgba(0,0,0,.55);
  display: flex; align-items: center; justify-content: center;
}
.kind-now_playing .np-art img { width: 100%; height: 100%; object-fit: cover; display: block; }
.kind-now_playing .np-note { font-size: 2.2em; line-height: 1; color: #fff; }
.kind-now_playing .np-text { min-width: 0; flex: 1; }
.kind-now_playing .np-caption {
  margin: 0 0 .2em; font-size: .6em; font-weight: 700; letter-spacing: .12em; text-transform: uppercase;
  color: var(--sw-accent, #9147ff); filter: brightness(1.35);
}
.kind-now_playing .np-title, .kind-now_playing .np-artist, .kind-now_playing .np-album {
  margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}
.kind-now_playing .np-title { font-size: 1.15em; font-weight: 800; line-height: 1.15; }
.kind-now_playing .np-artist { font-size: .85em; font-weight: 600; margin-top: .1em; }
.kind-now_playing .np-album { font-size: .65em; opacity: .85; margin-top: .1em; }
.kind-now_playing .np-progress { display: flex; align-items: center; gap: .5em; margin-top: .35em; }
.kind-now_playing .np-card.right .np-progress { flex-direction: row-reverse; }
.kind-now_playing .np-bar {
  flex: 1; height: .28em; border-radius: .14em; overflow: hidden;
  background: rgba(0,0,0,.45); box-shadow: 0 0 0 2px rgba(255,255,255,.6);
}
.kind-now_playing .np-fill { height: 100%; width: 0; background: var(--sw-accent, #9147ff); }
.kind-now_playing .np-time { font-size: .55em; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
.kind-now_playing .np-idle { margin: 0; font-size: 1em; font-weight: 700; }
.kind-now_playing .enter { animation: np-enter .6s cubic-bezier(.2,.8,.2,1) both; }
@keyframes np-enter { from { opacity: 0; transform: translateY(.6em); } to { opacity: 1; transform: none; } }
`;

// progress is [elapsed ms, duration ms] of a playing track at nowMs, or null
// when its start or length is unknown.
export function progress(track, nowMs) {
  if (!track || !(track.duration_ms > 0)) return null;
  const start = parseTime(track.started_at);
  if (Number.isNaN(start)) return null;
  return [Math.min(track.duration_ms, Math.max(0, nowMs - start)), track.duration_ms];
}

// clock formats milliseconds as m:ss (h:mm:ss from an hour).
export function clock(ms) {
  const s = Math.floor(Math.max(0, ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const HTTP = /^https?:\/\//i;

export function mount(root) {
  const card = el("div", "np-card");
  const art = el("div", "np-art");
  const img = document.createElement("img");
  img.alt = "";
  img.referrerPolicy = "no-referrer";
  img.decoding = "async";
  img.dataset.testid = "np-art";
  const note = el("span", "np-note");
  note.textContent = "♪";
  art.append(img, note);
  const textBox = el("div", "np-text");
  const caption = el("p", "np-caption", "np-caption");
  const title = el("p", "np-title", "np-title");
  const artist = el("p", "np-artist", "np-artist");
  const album = el("p", "np-album", "np-album");
  const prog = el("div", "np-progress");
  const bar = el("div", "np-bar");
  const fill = el("div", "np-fill", "np-fill");
  bar.append(fill);
  const time = el("span", "np-time", "np-time");
  prog.append(bar, time);
  textBox.append(caption, title, artist, album, prog);
  card.append(art, textBox);
  const idle = el("p", "np-idle", "np-idle");
  root.append(card, idle);

  let shownArt = null;
  let changes = null;
  let mode = null;
  img.addEventListener("error", () => {
    img.hidden = true; // a broken or blocked image: the note placeholder shows
    note.hidden = false;
  });
  img.addEventListener("load", () => {
    img.hidden = false;
    note.hidden = true;
  });

  return {
    render(widget, nowMs) {
      const cfg = widget.config || {};
      const s = widget.state || {};
      const track = s.track || null;
      const idleMode = ["last_track", "text", "hide"].includes(cfg.idle) ? cfg.idle : "last_track";
      let next = "hide";
      if (track && s.playing) next = "playing";
      else if (track && idleMode === "last_track") next = "last";
      else if (idleMode !== "hide" && cfg.idle_text) next = "text";
      root.dataset.mode = next;

      card.hidden = next !== "playing" && next !== "last";
      idle.hidden = next !== "text";
      setText(idle, next === "text" ? cfg.idle_text : "");
      if (next !== mode && (next === "text" || mode === "hide" || mode === null)) replay(next === "text" ? idle : card);
      mode = next;
      if (card.hidden) return;

      card.classList.toggle("last", next === "last");
      card.classList.toggle("right", cfg.align === "right");
      const cap = next === "last" ? "Last played" : cfg.title || "";
      setText(caption, cap);
      caption.hidden = !cap;
      setText(title, track.title || "");
      setText(artist, track.artist || "");
      artist.hidden = !track.artist;
      setText(album, track.album || "");
      album.hidden = !(cfg.show_album !== false && track.album);

      const showArt = cfg.show_art !== false;
      art.hidden = !showArt;
      const src = showArt && HTTP.test(track.art_url || "") ? track.art_url : "";
      if (src !== shownArt) {
        shownArt = src;
        img.hidden = true;
        note.hidden = false;
        if (src) img.src = src;
        else img.removeAttribute("src");
      }

      const p = next === "playing" && cfg.show_progress !== false ? progress(track, nowMs) : null;
      prog.hidden = !p;
      if (p) {
        const w = `${((p[0] / p[1]) * 100).toFixed(2)}%`;
        if (fill.style.width !== w) fill.style.width = w;
        setText(time, `${clock(p[0])} / ${clock(p[1])}`);
      }
      // A new track (even the same song again) slides in.
      if (changes !== null && s.changes !== changes) replay(card);
      changes = s.changes;
    },
  };
}

// replay restarts the entrance animation on node.
function replay(node) {
  node.classList.remove("enter");
  void node.offsetWidth; // a reflow, so removing and adding the class restarts it
  node.classList.add("enter");
}
