// The recent follower overlay: a heading ("Latest follower") and the name,
// with the amount for cheers and tips. Each new event plays the entrance
// animation, also when the same name comes again (the state's count changes).
import { el, setText } from "../dom.js";

// Sizes in em of the appearance font size (32 px by default).
export const css = `
.kind-recent_follower .rf-card { display: inline-flex; flex-direction: column; align-items: inherit; max-width: 100%; }
.kind-recent_follower .rf-title {
  margin: 0 0 .15em; font-size: .75em; font-weight: 700; letter-spacing: .12em; text-transform: uppercase;
  color: var(--sw-accent, #9147ff); filter: brightness(1.35);
}
.kind-recent_follower .rf-line { margin: 0; display: flex; align-items: baseline; gap: .4em; max-width: 100%; }
.kind-recent_follower .rf-name {
  font-size: 1.75em; font-weight: 800; line-height: 1.15;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0;
}
.kind-recent_follower .rf-amount { font-size: 1.1em; font-weight: 700; white-space: nowrap; font-variant-numeric: tabular-nums; }
.kind-recent_follower .rf-rule {
  height: .16em; width: 100%; margin-top: .2em; border-radius: .08em;
  background: var(--sw-accent, #9147ff); box-shadow: 0 .05em .3em rgba(0,0,0,.6); transform-origin: left;
}
.kind-recent_follower.empty .rf-name { opacity: .6; }
.kind-recent_follower .enter-slide { animation: rf-slide .7s cubic-bezier(.2,.8,.2,1) both; }
.kind-recent_follower .enter-fade { animation: rf-fade .8s ease both; }
.kind-recent_follower .enter-pop { animation: rf-pop .6s cubic-bezier(.3,1.6,.5,1) both; }
.kind-recent_follower .enter-slide .rf-rule, .kind-recent_follower .enter-pop .rf-rule { animation: rf-rule .9s .15s cubic-bezier(.2,.8,.2,1) both; }
@keyframes rf-slide { from { opacity: 0; transform: translateX(-1.2em); } to { opacity: 1; transform: none; } }
@keyframes rf-fade { from { opacity: 0; } to { opacity: 1; } }
@keyframes rf-pop { from { opacity: 0; transform: scale(.6); } to { opacity: 1; transform: none; } }
@keyframes rf-rule { from { transform: scaleX(0); } to { transform: none; } }
`;

const HEADINGS = { follow: "Latest follower", sub: "Latest subscriber", cheer: "Latest cheer", tip: "Latest tip" };
const ANIMATIONS = ["slide", "fade", "pop", "none"];
const CURRENCY = /^\p{Sc}$/u;

// amountText is "500 bits", "$5" or "12.5 €" (unit: config or the type's default).
export function amountText(amount, type, unit) {
  if (typeof amount !== "number" || !Number.isFinite(amount)) return "";
  const u = unit || (type === "cheer" ? "bits" : "");
  const money = CURRENCY.test(u);
  // Money shows cents when there are any: $12.50, not $12.5.
  const digits = money && !Number.isInteger(amount) ? 2 : 0;
  const n = new Intl.NumberFormat(undefined, { minimumFractionDigits: digits, maximumFractionDigits: 2 }).format(amount);
  if (!u) return n;
  return money && u !== "€" ? `${u}${n}` : `${n} ${u}`;
}

export function mount(root) {
  const card = el("div", "rf-card", "rf-card");
  const title = el("p", "rf-title", "rf-title");
  const line = el("p", "rf-line");
  const name = el("span", "rf-name", "rf-name");
  const amount = el("span", "rf-amount", "rf-amount");
  line.append(name, amount);
  card.append(title, line, el("div", "rf-rule"));
  root.append(card);
  card.dataset.entrances = "0";
  let count = null;

  return {
    render(widget) {
      const cfg = widget.config || {};
      const s = widget.state || {};
      const type = HEADINGS[cfg.event_type] ? cfg.event_type : "follow";
      setText(title, cfg.title || HEADINGS[type]);
      root.classList.toggle("empty", !s.name);
      setText(name, s.name || "—");
      const amt = cfg.show_amount !== false && (type === "cheer" || type === "tip") && s.name ? amountText(s.amount, type, cfg.unit) : "";
      setText(amount, amt);
      amount.hidden = !amt;
      // Animate a change, not the first paint (a reload or reconnect replays nothing).
      if (count !== null && s.count !== count) {
        const anim = ANIMATIONS.includes(cfg.animation) ? cfg.animation : "slide";
        for (const a of ANIMATIONS) card.classList.remove(`enter-${a}`);
        if (anim !== "none") {
          void card.offsetWidth; // a reflow, so the same class restarts its animation
          card.classList.add(`enter-${anim}`);
          card.dataset.entrances = String(Number(card.dataset.entrances) + 1);
        }
      }
      count = s.count;
    },
  };
}
