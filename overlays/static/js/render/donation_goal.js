// The donation goal overlay: title, a progress bar in the accent colour,
// "raised / target" as money, and the latest donor (config.show_latest),
// which flashes in on each new donation.
import { el, setText } from "../dom.js";

// Sizes in em of the appearance font size (32 px by default).
export const css = `
.kind-donation_goal .dg-box { width: 100%; max-width: 1400px; }
.kind-donation_goal .dg-title { font-size: 2.25em; margin: 0 0 .33em; font-weight: 800; }
.kind-donation_goal .dg-bar {
  position: relative; width: 100%; height: 2.25em; border-radius: 1.125em; overflow: hidden;
  background: rgba(0,0,0,.45); box-shadow: 0 0 0 4px rgba(255,255,255,.85), 0 6px 24px rgba(0,0,0,.5);
}
.kind-donation_goal .dg-fill {
  height: 100%; width: 0; border-radius: 1.125em;
  background: var(--sw-accent, #9147ff);
  background-image: linear-gradient(90deg, rgba(255,255,255,0), rgba(255,255,255,.25));
  transition: width .8s cubic-bezier(.2,.8,.2,1);
}
.kind-donation_goal .dg-pct {
  position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  font-size: 1.1em; font-weight: 800; font-variant-numeric: tabular-nums;
}
.kind-donation_goal.reached .dg-fill { background-color: #19c37d; }
.kind-donation_goal .dg-label { font-size: 1.75em; margin: .36em 0 0; font-weight: 700; font-variant-numeric: tabular-nums; }
.kind-donation_goal .dg-latest { font-size: 1.1em; margin: .3em 0 0; font-weight: 600; opacity: .95; }
.kind-donation_goal .dg-latest .dg-who { font-weight: 800; }
.kind-donation_goal .dg-latest.flash { animation: dg-flash 1.2s ease-out both; }
@keyframes dg-flash {
  0% { opacity: 0; transform: translateY(.5em) scale(.96); }
  25% { opacity: 1; transform: none; color: var(--sw-accent, #9147ff); }
  100% { opacity: .95; }
}
`;

// money formats an amount in a currency ("$1,234.50"); plain digits without one.
export function money(amount, currency) {
  const n = Number.isFinite(amount) ? amount : 0;
  if (currency) {
    try {
      const whole = Number.isInteger(n);
      return new Intl.NumberFormat(undefined, {
        style: "currency", currency, minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: 2,
      }).format(n);
    } catch {
      // an unknown code: fall through to digits and the code
    }
  }
  const digits = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(n);
  return currency ? `${digits} ${currency}` : digits;
}

export function mount(root) {
  const box = el("div", "dg-box");
  const title = el("h1", "dg-title", "dg-title");
  const bar = el("div", "dg-bar");
  const fill = el("div", "dg-fill", "dg-fill");
  const pct = el("span", "dg-pct", "dg-pct");
  bar.append(fill, pct);
  const label = el("p", "dg-label", "dg-label");
  const latest = el("p", "dg-latest", "dg-latest");
  const prefix = document.createTextNode("Latest: ");
  const who = el("span", "dg-who", "dg-who");
  const amount = document.createTextNode("");
  latest.append(prefix, who, amount);
  box.append(title, bar, label, latest);
  root.append(box);
  let count = null;

  return {
    render(widget) {
      const cfg = widget.config || {};
      const s = widget.state || {};
      const current = Math.max(0, s.current || 0);
      const target = cfg.target > 0 ? cfg.target : 1;
      const share = Math.max(0, Math.min(100, (current / target) * 100));
      setText(title, cfg.title || widget.title || "");
      const w = `${share.toFixed(2)}%`;
      if (fill.style.width !== w) fill.style.width = w;
      setText(pct, `${Math.floor(share)}%`);
      setText(label, `${money(current, cfg.currency)} / ${money(target, cfg.currency)}`);
      root.classList.toggle("reached", current >= target);

      const d = s.latest;
      latest.hidden = !(cfg.show_latest !== false && d);
      if (d) {
        setText(who, d.name || "Anonymous");
        const a = ` — ${money(d.amount, d.currency || cfg.currency)}`;
        if (amount.data !== a) amount.data = a;
      }
      if (count !== null && s.count !== count && d) {
        latest.classList.remove("flash");
        void latest.offsetWidth; // a reflow, so the animation restarts
        latest.classList.add("flash");
      }
      count = s.count;
    },
  };
}
