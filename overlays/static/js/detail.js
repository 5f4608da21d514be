// One widget's page in the console: whether OBS shows it, its controls and
// live preview, its OBS URL and its settings. Everything kind-specific comes
// from the kind's description (GET /kinds) and its render module.
import { h, clear } from "./dom.js";
import { widgetForm } from "./form.js";
import { actionPanel } from "./actions.js";
import { mountPreview } from "./preview.js";
import { controlTokenCard } from "./control_token.js";
import { logPanel } from "./log_panel.js";

export function obsURL(rec) {
  return `${location.origin}/widgets/${encodeURIComponent(rec.id)}#token=${encodeURIComponent(rec.access_token)}`;
}

// showDetail fills container. deps: { api, conn, onChanged(record), onDeleted(id) }.
// It returns { update(live), viewers(counts), event(msg), destroy() }.
export function showDetail(container, rec, kind, deps) {
  const { api, conn } = deps;
  clear(container);

  // Head: name, what the stream shows, whether OBS has it, on/off, delete.
  const title = h("h2", { id: "detail-title", "data-testid": "detail-title" }, rec.title);
  const onStream = h("p", { class: "muted on-stream", "data-testid": "on-stream-title" });
  const obs = h("span", { class: "live-pill", "data-testid": "viewers-obs", "data-count": "" }, "Checking OBS…");
  const managers = h("span", { class: "muted small", "data-testid": "viewers-managers" });
  const active = h("input", { type: "checkbox", "data-testid": "active-toggle" });
  active.checked = rec.active;
  active.onchange = async () => {
    active.disabled = true;
    const r = await api.call("PUT", `/records/stream_widgets/${encodeURIComponent(rec.id)}`, { active: active.checked });
    active.disabled = false;
    if (!r.ok) {
      active.checked = !active.checked;
      return;
    }
    rec = r.data;
    deps.onChanged(rec);
    apply(rec);
  };
  const del = h("button", { class: "danger", "data-testid": "delete" }, "Delete");
  del.onclick = async () => {
    if (!confirm(`Delete "${rec.title}"? OBS sources showing it will say it was deleted.`)) return;
    const r = await api.call("DELETE", `/records/stream_widgets/${encodeURIComponent(rec.id)}`);
    if (r.ok) deps.onDeleted(rec.id);
  };
  container.append(h("div", { class: "card wide head" },
    h("div", { class: "head-main" },
      h("div", { class: "row" }, title, h("span", { class: "badge" }, kind.name)),
      onStream,
      h("div", { class: "row" }, obs, managers)),
    h("div", { class: "row head-side" }, h("label", { class: "row switch" }, active, "Active"), del)));

  // Controls and the live preview.
  const send = (name, payload) => conn.action(rec.id, name, payload);
  const panel = actionPanel(kind, send);
  container.append(h("div", { class: "card" }, h("h3", {}, "Controls"), panel.el));
  const box = h("div", { class: "preview" });
  container.append(h("div", { class: "card" }, h("h3", {}, "Live preview"), box));
  const preview = mountPreview(box, () => conn.now()); // once in the page: its frame needs a document
  const log = logPanel(rec, kind, { api, send }); // kinds whose REST state keeps a log
  if (log) container.append(log.el);

  // Add to OBS.
  const url = h("input", { readonly: "", value: obsURL(rec), class: "obs-url", "data-testid": "obs-url", "aria-label": "OBS URL" });
  const copied = h("span", { class: "ok", role: "status" });
  const copy = h("button", { "data-testid": "copy-url" }, "Copy OBS URL");
  copy.onclick = async () => {
    try {
      await navigator.clipboard.writeText(url.value);
    } catch {
      url.select();
      document.execCommand("copy");
    }
    copied.textContent = "Copied";
    setTimeout(() => (copied.textContent = ""), 2000);
  };
  const regen = h("button", { class: "secondary", "data-testid": "regenerate" }, "Regenerate token");
  regen.onclick = async () => {
    if (!confirm("Regenerate the token? Every OBS source using the current URL stops working at once; you must paste the new URL into OBS.")) return;
    const r = await api.call("POST", `/records/stream_widgets/${encodeURIComponent(rec.id)}/regenerate_token`);
    if (r.ok) {
      rec = r.data;
      url.value = obsURL(rec);
      deps.onChanged(rec);
    }
  };
  container.append(h("div", { class: "card wide" }, h("h3", {}, "Add to OBS"),
    h("div", { class: "url-row" }, url, h("span", { class: "row" }, copy, copied)),
    h("ul", { class: "settings" },
      h("li", {}, "Source: ", h("b", {}, "Browser")), h("li", {}, "Width × Height: ", h("b", {}, "1920 × 1080")),
      h("li", {}, "FPS: ", h("b", {}, "30")), h("li", {}, "Custom CSS: ", h("b", {}, "leave empty")),
      h("li", {}, "Shutdown source when not visible: ", h("b", {}, "off")),
      h("li", {}, "Refresh browser when scene becomes active: ", h("b", {}, "off"))),
    h("div", { class: "row regen" }, regen, h("span", { class: "warn" }, "Regenerating replaces the token: old OBS URLs stop working immediately."))));

  // Stream Deck / bots: the widget's control token.
  container.append(controlTokenCard(rec, kind, { api }).el);

  // Settings, from the kind's config schema.
  const form = widgetForm(kind, rec, async (body) => {
    const r = await api.call("PUT", `/records/stream_widgets/${encodeURIComponent(rec.id)}`, body);
    if (r.ok) {
      rec = r.data;
      deps.onChanged(rec);
      apply(rec);
    }
    return r;
  });
  container.append(h("div", { class: "card wide" }, h("h3", {}, "Settings"), form));

  // apply shows a (live or saved) widget in the head, controls and preview.
  function apply(w) {
    title.textContent = w.title;
    const shown = w.config && typeof w.config.title === "string" ? w.config.title : null;
    onStream.textContent = shown ? `On stream: “${shown}”` : ""; // the kind's overlay decides what an empty title shows
    active.checked = w.active;
    panel.update(w);
    preview.update(w);
  }
  apply(rec);

  return {
    update(live) {
      if (!live) return;
      apply({ ...live, access_token: rec.access_token });
      if (log) log.update(live);
    },
    viewers({ obs: n, managers: m }) {
      obs.dataset.count = String(n);
      obs.classList.toggle("on", n > 0);
      obs.textContent = n > 0 ? `● In OBS: ${n} ${n === 1 ? "view" : "views"}` : "○ Not open in OBS";
      managers.textContent = m > 1 ? `${m} manager sessions open (this one + ${m - 1})` : m === 1 ? "1 manager session open (this one)" : "";
      managers.dataset.count = String(m);
    },
    event(msg) {
      preview.event(msg.event, msg.data);
    },
    destroy() {
      preview.destroy();
      if (log) log.destroy();
    },
  };
}
