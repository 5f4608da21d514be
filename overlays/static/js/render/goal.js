export function mount(root) {
  root.classList.add("kind-goal");
  const title = document.createElement("h1");
  title.className = "goal-title";
  const bar = document.createElement("div");
  bar.className = "goal-bar";
  const fill = document.createElement("div");
  fill.className = "goal-fill";
  bar.append(fill);
  const label = document.createElement("p");
  label.className = "goal-label";
  label.dataset.testid = "goal-label";
  root.append(title, bar, label);
  const fmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  return {
    render(widget) {
      const cfg = widget.config || {};
      const current = (widget.state && widget.state.current) || 0;
      const target = cfg.target || 1;
      const pct = Math.max(0, Math.min(100, (current / target) * 100));
      const t = cfg.title || widget.title || "";
      if (title.textContent !== t) title.textContent = t;
      fill.style.width = `${pct}%`;
      const unit = cfg.unit ? ` ${cfg.unit}` : "";
      const l = `${fmt.format(current)} / ${fmt.format(target)}${unit}`;
      if (label.textContent !== l) label.textContent = l;
      root.classList.toggle("reached", current >= target);
    },
  };
}
