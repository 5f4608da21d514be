// The alert box overlay. The server's queue says which alerts are on screen
// (state.showing) and announces each start and end (alert_started,
// alert_ended). This view shows each alert once, for its duration, and
// acknowledges it: "shown" when it appears, "ended" when it is gone; the
// queue moves on from those (or from the server's fallback if no view
// answers). A view that (re)joins mid-alert shows the rest of it, or skips
// it if it is over. The manager's preview (ctx.preview) shows, never acknowledges
// and plays no sound. All text is set with textContent.
import { parseTime } from "../runtime.js";

export const css = `
.kind-alerts { justify-content: center; gap: .5em; }
.kind-alerts .al-card {
  display: flex; flex-direction: column; align-items: var(--sw-align-items, center);
  max-width: min(1400px, 92vw); gap: .3em; will-change: transform, opacity;
}
.kind-alerts .al-card.bypass { font-size: .8em; }
.kind-alerts .al-image {
  max-width: min(640px, 80vw); max-height: 42vh; object-fit: contain;
  filter: drop-shadow(0 .2em .6em rgba(0,0,0,.6));
}
.kind-alerts .al-text { margin: 0; font-size: 1.5em; font-weight: 800; line-height: 1.15; overflow-wrap: anywhere; }
.kind-alerts .al-name { color: var(--sw-accent, #9147ff); }
.kind-alerts .al-message {
  margin: 0; font-size: .9em; font-weight: 500; max-width: 36em; opacity: .95; overflow-wrap: anywhere;
  display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden;
}
.kind-alerts .al-card.al-in { animation: var(--al-enter, none) var(--al-in-ms, 400ms) cubic-bezier(.2, .9, .25, 1.1) both; }
.kind-alerts .al-card.al-out { animation: var(--al-exit, none) var(--al-out-ms, 300ms) ease-in both; }
.kind-alerts .al-card.anim-slide_up { --al-enter: al-up-in; --al-exit: al-up-out; }
.kind-alerts .al-card.anim-slide_down { --al-enter: al-down-in; --al-exit: al-down-out; }
.kind-alerts .al-card.anim-fade { --al-enter: al-fade-in; --al-exit: al-fade-out; }
.kind-alerts .al-card.anim-zoom { --al-enter: al-zoom-in; --al-exit: al-zoom-out; }
.kind-alerts .al-card.anim-bounce { --al-enter: al-bounce-in; --al-exit: al-zoom-out; }
@keyframes al-up-in { from { opacity: 0; transform: translateY(1.5em); } to { opacity: 1; transform: none; } }
@keyframes al-up-out { from { opacity: 1; transform: none; } to { opacity: 0; transform: translateY(-1em); } }
@keyframes al-down-in { from { opacity: 0; transform: translateY(-1.5em); } to { opacity: 1; transform: none; } }
@keyframes al-down-out { from { opacity: 1; transform: none; } to { opacity: 0; transform: translateY(1em); } }
@keyframes al-fade-in { from { opacity: 0; } to { opacity: 1; } }
@keyframes al-fade-out { from { opacity: 1; } to { opacity: 0; } }
@keyframes al-zoom-in { from { opacity: 0; transform: scale(.6); } to { opacity: 1; transform: none; } }
@keyframes al-zoom-out { from { opacity: 1; transform: none; } to { opacity: 0; transform: scale(.85); } }
@keyframes al-bounce-in {
  0% { opacity: 0; transform: scale(.3); } 55% { opacity: 1; transform: scale(1.08); }
  75% { transform: scale(.96); } 100% { opacity: 1; transform: none; }
}
`;

const MIN_RESUME_MS = 250; // a (re)joining view skips an alert with less left than this
const RETRY_MS = 1500; // an unanswered acknowledgement is sent again
const RECHECK_MS = 3000; // an answered one, if the state still disagrees after this
const MAX_REMEMBERED = 2000; // finished plays a view remembers (never shown twice)
const MAX_LOG = 5000;
const URL_OK = /^https?:\/\//i; // the server allows nothing else; checked again here

// Finished plays per widget, kept across remounts of the same page (the
// widget turned off and on), so an alert is never shown twice by one view.
const memory = new Map(); // widget id -> Map(seq -> {id, ack: "none"|"sent"|"ok"|"skip", at})

// The display log (tests, debugging): on with #…&debug=1, or when a page
// script created window.__alertLog before the overlay loaded.
function displayLog() {
  if (Array.isArray(window.__alertLog)) return window.__alertLog;
  const flags = new URLSearchParams(location.hash.slice(1));
  if (flags.has("debug") && flags.get("debug") !== "0") return (window.__alertLog = []);
  return null;
}

export function mount(root, ctx) {
  const stage = document.createElement("div");
  stage.className = "al-stage";
  const sounds = document.createElement("div");
  sounds.hidden = true;
  root.append(stage, sounds);
  const cards = new Map(); // seq -> card on screen
  const endedByServer = new Set(); // seqs the server announced ended
  const log = displayLog();
  let done = null; // this widget's finished plays (set on the first render)
  let widget = null;

  const clock = () => (ctx.now ? ctx.now() : Date.now());
  const act = (name, payload) => (ctx.preview || !ctx.action ? Promise.resolve({ success: false }) : ctx.action(name, payload));

  function remember(seq, entry) {
    done.set(seq, entry);
    if (done.size > MAX_REMEMBERED) done.delete(done.keys().next().value);
  }

  // consider looks at one alert the server says is on screen.
  function consider(a, now) {
    if (!a || !Number.isInteger(a.seq) || !done) return;
    const past = done.get(a.seq);
    if (past) return ackEnded(a, past, now);
    const card = cards.get(a.seq);
    if (card) return a.shown_at ? undefined : ackShown(card, now);
    if (endedByServer.has(a.seq)) return; // a late state: the alert is already over
    const duration = Number.isFinite(a.duration_ms) && a.duration_ms > 0 ? a.duration_ms : 5000;
    const shownAt = parseTime(a.shown_at);
    if (Number.isNaN(shownAt)) return show(a, duration, false, now);
    // Another view (or this page before a reload) showed it: show the rest.
    const left = shownAt + duration - now;
    if (left >= MIN_RESUME_MS) return show(a, left, true, now);
    const entry = { id: a.id, ack: ctx.preview ? "skip" : "none", at: 0 };
    remember(a.seq, entry);
    if (log) log.push({ seq: a.seq, id: a.id, skipped: true, at: performance.now() });
    ackEnded(a, entry, now); // it is over: let the queue move on now
  }

  function show(a, ms, resumed, now) {
    const card = document.createElement("div");
    const anim = /^[a-z_]{1,20}$/.test(a.animation || "") ? a.animation : "slide_up";
    card.className = `al-card ${a.lane === "bypass" ? "bypass" : "queue"} anim-${anim}`;
    card.dataset.testid = "alert-card";
    card.dataset.seq = String(a.seq);
    card.dataset.id = String(a.id);
    if (a.test) card.dataset.test = "true";
    // Entrance and exit take at most a quarter of the alert each.
    const inMs = anim === "none" || resumed ? 0 : Math.min(anim === "bounce" ? 650 : 450, ms / 4);
    const outMs = anim === "none" ? 0 : Math.min(350, ms / 4);
    card.style.setProperty("--al-in-ms", `${Math.round(inMs)}ms`);
    card.style.setProperty("--al-out-ms", `${Math.round(outMs)}ms`);
    if (a.image_url && URL_OK.test(a.image_url)) {
      const img = document.createElement("img");
      img.className = "al-image";
      img.dataset.testid = "alert-image";
      img.alt = "";
      img.referrerPolicy = "no-referrer";
      img.decoding = "async";
      img.addEventListener("error", () => (img.hidden = true)); // broken or blocked: text only
      img.src = a.image_url;
      card.append(img);
    }
    const text = document.createElement("p");
    text.className = "al-text";
    text.dataset.testid = "alert-text";
    text.append(...withName(String(a.text || ""), String(a.name || "")));
    card.append(text);
    const cfg = (widget && widget.config) || {};
    if (cfg.show_message !== false && a.message) {
      const msg = document.createElement("p");
      msg.className = "al-message";
      msg.dataset.testid = "alert-message";
      msg.textContent = String(a.message);
      card.append(msg);
    }
    if (inMs > 0) card.classList.add("al-in");
    stage.append(card);
    const entry = { seq: a.seq, id: a.id, name: a.name, text: a.text, lane: a.lane, test: !!a.test, resumed, start: performance.now(), end: null };
    if (log) {
      log.push(entry);
      if (log.length > MAX_LOG) log.shift();
    }
    const c = { a, el: card, entry, shown: resumed ? "ok" : "none", shownAt: 0, timers: [] };
    cards.set(a.seq, c);
    if (!resumed) {
      playSound(a, entry);
      ackShown(c, now);
    }
    c.timers.push(setTimeout(() => leave(c, outMs, true), Math.max(0, ms - outMs)));
  }

  // leave plays the exit and takes the card away; natural: its time ran out
  // (then the view says "ended"), otherwise the server ended it (skip, clear).
  function leave(c, outMs, natural) {
    if (c.leaving) return;
    c.leaving = true;
    c.timers.forEach(clearTimeout);
    const gone = () => {
      c.el.remove();
      cards.delete(c.a.seq);
      c.entry.end = performance.now();
      const entry = { id: c.a.id, ack: !natural || ctx.preview || endedByServer.has(c.a.seq) ? "skip" : "none", at: 0 };
      remember(c.a.seq, entry);
      ackEnded(c.a, entry, clock());
    };
    if (outMs > 0) {
      c.el.classList.remove("al-in");
      c.el.classList.add("al-out");
      c.timers = [setTimeout(gone, outMs)];
    } else gone();
  }

  function ackShown(c, now) {
    if (ctx.preview || c.leaving || c.shown === "sent") return;
    if (c.shownAt && now - c.shownAt < (c.shown === "ok" ? RECHECK_MS : RETRY_MS)) return;
    c.shown = "sent";
    c.shownAt = now;
    act("shown", { id: c.a.id, seq: c.a.seq }).then((r) => {
      c.shown = r && r.success ? "ok" : "none";
      c.shownAt = clock();
    });
  }

  // ackEnded tells the server a finished alert is gone; again later if the
  // server still lists it (the answer was lost in a reconnect).
  function ackEnded(a, entry, now) {
    if (entry.ack === "skip" || entry.ack === "sent") return;
    if (entry.at && now - entry.at < (entry.ack === "ok" ? RECHECK_MS : RETRY_MS)) return;
    entry.ack = "sent";
    entry.at = now;
    act("ended", { id: a.id, seq: a.seq }).then((r) => {
      entry.ack = r && r.success ? "ok" : "none";
      entry.at = clock();
    });
  }

  function playSound(a, entry) {
    if (ctx.preview || !a.sound_url || !URL_OK.test(a.sound_url)) return;
    const audio = document.createElement("audio");
    audio.dataset.testid = "alert-sound";
    audio.preload = "auto";
    audio.volume = Math.max(0, Math.min(1, (Number.isFinite(a.volume) ? a.volume : 70) / 100));
    const drop = () => audio.remove();
    audio.addEventListener("ended", drop);
    audio.addEventListener("error", drop);
    setTimeout(drop, 120000); // a stream that never ends
    audio.src = a.sound_url;
    sounds.append(audio);
    while (sounds.childElementCount > 4) sounds.firstElementChild.remove();
    entry.sound = a.sound_url;
    const p = audio.play();
    if (p && typeof p.catch === "function") p.catch(() => {}); // blocked autoplay: the alert still shows
  }

  return {
    render(w, now) {
      widget = w;
      if (!done) {
        const key = String(w.id || "");
        if (!memory.has(key)) memory.set(key, new Map());
        done = memory.get(key);
      }
      const showing = (w.state && Array.isArray(w.state.showing) && w.state.showing) || [];
      for (const a of showing) consider(a, now);
      root.dataset.status = (w.state && w.state.status) || "";
    },
    event(name, data, w) {
      if (w) widget = w;
      if (!done || !data) return;
      if (name === "alert_started") {
        consider(data, clock());
      } else if (name === "alert_ended" && Number.isInteger(data.seq)) {
        endedByServer.add(data.seq);
        if (endedByServer.size > MAX_REMEMBERED) endedByServer.delete(endedByServer.values().next().value);
        const c = cards.get(data.seq);
        // Skipped or cleared: off the screen now. Ended by another view or
        // the fallback: this view finishes its own showing.
        if (c && (data.reason === "skipped" || data.reason === "cleared")) leave(c, 200, false);
      }
    },
    destroy() {
      for (const c of cards.values()) c.timers.forEach(clearTimeout);
      cards.clear();
      stage.remove();
      sounds.remove();
    },
  };
}

// withName returns text nodes for text with every occurrence of name in
// the accent colour (spans filled with textContent: never markup).
function withName(text, name) {
  if (!name || !text.includes(name)) return [document.createTextNode(text)];
  const out = [];
  const parts = text.split(name);
  parts.forEach((part, i) => {
    if (part) out.push(document.createTextNode(part));
    if (i < parts.length - 1) {
      const span = document.createElement("span");
      span.className = "al-name";
      span.textContent = name;
      out.push(span);
    }
  });
  return out;
}
