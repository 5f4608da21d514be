// The goal overlay: title, a progress bar in the accent colour, "current / target unit".
export const css = `
.kind-goal .goal-box { width: 100%; max-width: 1400px; }
.kind-goal .goal-title { font-size: 2.25em; margin: 0 0 .33em; font-weight: 800; }
.kind-goal .goal-bar {
  width: 100%; height: 2.25em; border-radius: 1.125em; overflow: hidden;
  background: rgba(0,0,0,.45); box-shadow: 0 0 0 4px rgba(255,255,255,.85), 0 6px 24px rgba(0,0,0,.5);
}
.kind-goal .goal-fill {
  height: 100%; width: 0; border-radius: 1.125em;
  background: var(--sw-accent, #9147ff);
  background-image: linear-gradient(90deg, rgba(255,255,255,0), rgba(255,255,255,.25));
  transition: width .6s cubic-bezier(.2,.8,.2,1);
}
.kind-goal.reached .goal-fill { background-color: #19c37d; }
.kind-goal .goal-label { font-size: 1.75em; margin: .36em 0 0; font-weight: 700; font-variant-numeric: tabular-nums; }
`;

export function mount(root) {
  const box = document.createElement("div");
  box.className = "goal-box";
  const title = document.createElement("h1");
  title.className = "goal-title";
  const bar = document.createElement("div");
  bar.className = "goal-bar";
  const fill = document.createElement("div");
  fill.className = "goal-fill";
  fill.dataset.testid = "goal-fill";
  bar.append(fill);
  const label = document.createElement("p");
  label.className = "goal-label";
  label.dataset.testid = "goal-label";
  box.append(title, bar, label);
  root.append(box);
  const fmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  return {
    render(widget) {
      const cfg = widget.config || {};
      const current = Math.max(0, (widget.state && widget.state.current) || 0);
      const target = cfg.target || 1;
      const pct = Math.max(0, Math.min(100, (current / target) * 100));
      const t = cfg.title || widget.title || "";
      if (title.textContent !== t) title.textContent = t;
      const w = `${pct}%`;
      if (fill.style.width !== w) fill.style.width = w;
      const unit = cfg.unit ? ` ${cfg.unit}` : "";
      const l = `${fmt.format(current)} / ${fmt.format(target)}${unit}`;
      if (label.textContent !== l) label.textContent = l;
      root.classList.toggle("reached", current >= target);
    },
  };
}
