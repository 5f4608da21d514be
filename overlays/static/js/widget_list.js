// The console's widget list. Rows are kept per widget and changed in place:
// viewer counts and live titles arrive many times a minute, and a row rebuilt
// between a finger's touchstart and touchend loses the tap.
import { h, setText } from "./dom.js";

export class WidgetList {
  constructor(ul, empty, onPick) {
    this.ul = ul;
    this.empty = empty;
    this.onPick = onPick;
    this.rows = new Map(); // widgetId -> row
  }

  // render shows widgets in order; viewers maps widgetId -> {obs, managers}.
  render(widgets, viewers, selectedId, kinds) {
    this.empty.hidden = widgets.length > 0;
    const listed = new Set(widgets.map((w) => w.id));
    for (const [id, row] of this.rows) {
      if (!listed.has(id)) {
        row.li.remove();
        this.rows.delete(id);
      }
    }
    widgets.forEach((w, i) => {
      let row = this.rows.get(w.id);
      if (!row) {
        row = this.row(w.id);
        this.rows.set(w.id, row);
      }
      fill(row, w, viewers.get(w.id), selectedId === w.id, kinds);
      if (this.ul.children[i] !== row.li) this.ul.insertBefore(row.li, this.ul.children[i] || null);
    });
  }

  row(id) {
    const title = h("span", { class: "item-title" });
    const obs = h("span", { "data-testid": "list-obs" });
    const badge = h("span", { class: "badge" });
    const off = h("span", { class: "badge off" }, "off");
    const button = h("button", { type: "button", class: "item" }, title, h("span", { class: "row" }, obs, badge, off));
    button.onclick = () => this.onPick(id);
    const li = h("li", { "data-testid": "widget-item", "data-id": id }, button);
    return { li, title, obs, badge, off };
  }
}

function fill(row, w, v, selected, kinds) {
  row.li.className = selected ? "selected" : "";
  setText(row.title, w.title);
  setText(row.badge, (kinds[w.type] && kinds[w.type].name) || w.type);
  row.off.hidden = !!w.active;
  // No dot until the server has said how many watch: "not in OBS" would be a guess.
  row.obs.hidden = !v;
  if (!v) return;
  const inObs = v.obs > 0;
  row.obs.className = `obs-dot${inObs ? " on" : ""}`;
  row.obs.dataset.count = String(v.obs);
  row.obs.title = inObs ? `In OBS: ${v.obs}` : "Not open in OBS";
  setText(row.obs, inObs ? `OBS ${v.obs}` : "OBS");
}
