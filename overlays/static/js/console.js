// The manager console: sign in, list/create/edit/delete widgets, live
// preview, OBS URL, token regeneration and actions. REST for records, the
// WebSocket (user session) for live state and actions.
import { Connection } from "./runtime.js";
import { remaining, format } from "./render/countdown.js";
import { h, clear } from "./dom.js";
import { configForm } from "./form.js";

const SESSION_KEY = "streamwidgets.session";
const $ = (id) => document.getElementById(id);

let session = null;
let kinds = {};
let widgets = [];
let selected = null; // { record, live }
let conn = null;

main();

async function main() {
  const ticket = new URLSearchParams(location.hash.slice(1)).get("signin");
  if (ticket) {
    history.replaceState(null, "", location.pathname); // the link works once: drop it from history
    await redeem(ticket);
  }
  session = session || loadSession();
  if (!session) return showSignIn();
  await startApp();
}

function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY));
    if (s && s.token && Date.parse(s.expires_at) > Date.now() + 60000) return s;
  } catch {}
  localStorage.removeItem(SESSION_KEY);
  return null;
}

async function redeem(ticket) {
  const res = await fetch("/auth/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ticket }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    $("signin-error").textContent = (body.error && body.error.message) || "Sign-in failed.";
    return;
  }
  session = body.data;
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

function showSignIn(message) {
  $("app").hidden = true;
  $("signout").hidden = true;
  $("who").textContent = "";
  $("signin").hidden = false;
  if (message) $("signin-error").textContent = message;
  $("token-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const token = $("token-input").value.trim();
    $("token-input").value = "";
    session = { token, user_id: "", expires_at: new Date(Date.now() + 3600e3).toISOString() };
    const probe = await api("GET", "/records/stream_widgets?perPage=1");
    if (probe.ok) {
      localStorage.setItem(SESSION_KEY, JSON.stringify(session));
      startApp();
    }
  };
}

function signOut(message) {
  localStorage.removeItem(SESSION_KEY);
  session = null;
  if (conn) conn.stop();
  conn = null;
  showSignIn(message);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${session.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).catch(() => null);
  if (!res) return { ok: false, error: "The server cannot be reached." };
  const json = await res.json().catch(() => ({}));
  if (res.status === 401) {
    signOut("Your sign-in expired or is invalid. Sign in again.");
    return { ok: false, error: "signed out" };
  }
  return { ok: res.ok, status: res.status, data: json.data, next: json.next_cursor, error: json.error && json.error.message };
}

async function startApp() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = false;
  $("signout").onclick = () => signOut();
  $("who").textContent = session.user_id ? `Signed in as ${session.user_id}` : "Signed in";
  $("new").onclick = () => showCreate();
  const k = await fetch("/kinds").then((r) => r.json());
  kinds = Object.fromEntries(k.data.map((info) => [info.type, info]));
  conn = new Connection(session.token);
  conn.addEventListener("status", (ev) => {
    const el = $("conn");
    el.dataset.status = ev.detail.status;
    el.textContent = { open: "live", connecting: "connecting…", reconnecting: "reconnecting…", revoked: "signed out" }[ev.detail.status] || ev.detail.status;
    if (ev.detail.status === "revoked") signOut("Your sign-in expired. Sign in again.");
  });
  conn.start();
  await loadList();
  if (widgets.length) select(widgets[0].id);
  else showCreate();
  requestAnimationFrame(tick);
}

async function loadList() {
  const all = [];
  let cursor = null;
  do {
    const r = await api("GET", `/records/stream_widgets?perPage=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (!r.ok) return;
    all.push(...r.data);
    cursor = r.next;
  } while (cursor);
  widgets = all;
  renderList();
}

function renderList() {
  const ul = clear($("widgets"));
  $("empty").hidden = widgets.length > 0;
  for (const w of widgets) {
    const li = h("li", { "data-testid": "widget-item", "data-id": w.id, class: selected && selected.record.id === w.id ? "selected" : "" },
      h("span", {}, w.title),
      h("span", { class: "row" },
        h("span", { class: "badge" }, (kinds[w.type] && kinds[w.type].name) || w.type),
        w.active ? null : h("span", { class: "badge off" }, "off")));
    li.onclick = () => select(w.id);
    ul.append(li);
  }
}

// --- detail -----------------------------------------------------------------

async function select(id) {
  const r = await api("GET", `/records/stream_widgets/${encodeURIComponent(id)}`);
  if (!r.ok) return;
  if (selected && conn) conn.unsubscribe(selected.record.id);
  selected = { record: r.data, live: r.data };
  renderList();
  renderDetail();
  conn.subscribe(id, (msg, live) => {
    if (!selected || selected.record.id !== id) return;
    if (msg.type === "WIDGET_DELETED") {
      widgets = widgets.filter((w) => w.id !== id);
      selected = null;
      renderList();
      clear($("detail")).append(h("p", { class: "muted" }, "This widget was deleted."));
      return;
    }
    if (live) selected.live = { ...live, access_token: selected.record.access_token };
    if (msg.type === "WIDGET_CONFIG_UPDATE") $("detail-title").textContent = live.title;
  });
}

function obsURL(rec) {
  return `${location.origin}/widgets/${encodeURIComponent(rec.id)}#token=${encodeURIComponent(rec.access_token)}`;
}

function renderDetail() {
  const rec = selected.record;
  const kind = kinds[rec.type] || { actions: [], config_schema: { properties: {} }, name: rec.type };
  const detail = clear($("detail"));

  const active = h("input", { type: "checkbox", "data-testid": "active-toggle" });
  active.checked = rec.active;
  active.onchange = async () => {
    const r = await api("PUT", `/records/stream_widgets/${rec.id}`, { active: active.checked });
    if (r.ok) {
      selected.record = r.data;
      await loadList();
    } else active.checked = !active.checked;
  };
  const del = h("button", { class: "danger", "data-testid": "delete" }, "Delete");
  del.onclick = async () => {
    if (!confirm(`Delete "${rec.title}"? OBS sources showing it will say it was deleted.`)) return;
    const r = await api("DELETE", `/records/stream_widgets/${rec.id}`);
    if (r.ok) {
      conn.unsubscribe(rec.id);
      selected = null;
      await loadList();
      if (widgets.length) select(widgets[0].id);
      else showCreate();
    }
  };
  detail.append(h("div", { class: "card wide head" },
    h("h2", { id: "detail-title", "data-testid": "detail-title" }, rec.title),
    h("span", { class: "badge" }, kind.name),
    h("span", { class: "spacer" }),
    h("label", { class: "row" }, active, "Active"),
    del));

  // Controls: live state and the kind's actions.
  const result = h("p", { class: "muted", "data-testid": "action-result", role: "status" });
  const actions = h("div", { class: "actions" });
  for (const a of kind.actions) {
    const props = (a.payload_schema && a.payload_schema.properties) || {};
    const name = Object.keys(props)[0];
    const input = name ? h("input", { type: "number", step: props[name].type === "integer" ? "1" : "any", placeholder: name, "aria-label": props[name].title || name, "data-testid": `payload-${a.name}` }) : null;
    const btn = h("button", { class: a.name === "reset" ? "secondary" : "", "data-testid": `action-${a.name}` }, a.label);
    btn.onclick = async () => {
      let payload;
      if (name) {
        if (input.value === "") {
          result.className = "error";
          result.textContent = `${a.label}: enter ${props[name].title || name} first.`;
          return;
        }
        payload = { [name]: Number(input.value) };
      }
      btn.disabled = true;
      const r = await conn.action(rec.id, a.name, payload);
      btn.disabled = false;
      result.className = r.success ? "ok" : "error";
      result.textContent = r.success ? `✓ ${a.label}` : `${a.label} failed: ${r.error}`;
    };
    actions.append(input ? h("span", { class: "payload" }, input, btn) : btn);
  }
  detail.append(h("div", { class: "card" }, h("h3", {}, "Controls"),
    h("div", { class: "big-time", id: "live", "data-testid": "live-state" }), actions, result));

  // Preview: the real overlay, scaled down.
  const frame = h("iframe", { src: obsURL(rec), title: "overlay preview", "data-testid": "preview" });
  const box = h("div", { class: "preview" }, frame);
  new ResizeObserver(() => (frame.style.transform = `scale(${box.clientWidth / 1920})`)).observe(box);
  detail.append(h("div", { class: "card" }, h("h3", {}, "Live preview"), box));

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
    const r = await api("POST", `/records/stream_widgets/${rec.id}/regenerate_token`);
    if (r.ok) {
      selected.record = r.data;
      url.value = obsURL(r.data);
      frame.src = obsURL(r.data);
    }
  };
  detail.append(h("div", { class: "card wide" }, h("h3", {}, "Add to OBS"),
    h("div", { class: "row" }, url, copy, copied),
    h("ul", { class: "settings" },
      h("li", {}, "Source: ", h("b", {}, "Browser")), h("li", {}, "Width × Height: ", h("b", {}, "1920 × 1080")),
      h("li", {}, "FPS: ", h("b", {}, "30")), h("li", {}, "Custom CSS: ", h("b", {}, "leave empty")),
      h("li", {}, "Shutdown source when not visible: ", h("b", {}, "off")),
      h("li", {}, "Refresh browser when scene becomes active: ", h("b", {}, "off"))),
    h("p", { class: "row" }, regen, h("span", { class: "warn" }, "Regenerating replaces the token: old OBS URLs stop working immediately."))));

  // Settings form, generated from the kind's config schema.
  const form = configForm(kind, rec, async (body, error) => {
    const r = await api("PUT", `/records/stream_widgets/${rec.id}`, body);
    if (!r.ok) {
      error.textContent = r.error;
      return;
    }
    error.className = "ok";
    error.textContent = "Saved";
    selected.record = r.data;
    $("detail-title").textContent = r.data.title;
    await loadList();
  });
  detail.append(h("div", { class: "card wide" }, h("h3", {}, "Settings"), form));
}

function showCreate() {
  if (selected && conn) conn.unsubscribe(selected.record.id);
  selected = null;
  renderList();
  const detail = clear($("detail"));
  const kindSelect = h("select", { "data-testid": "kind-select", "aria-label": "widget type" },
    ...Object.values(kinds).map((k) => h("option", { value: k.type }, k.name)));
  const holder = h("div");
  const draw = () => {
    const kind = kinds[kindSelect.value];
    clear(holder).append(h("p", { class: "muted" }, kind.description),
      configForm(kind, null, async (body, error) => {
        const r = await api("POST", "/records/stream_widgets", { ...body, type: kind.type });
        if (!r.ok) {
          error.textContent = r.error;
          return;
        }
        await loadList();
        await select(r.data.id);
      }));
  };
  kindSelect.onchange = draw;
  detail.append(h("div", { class: "card wide" }, h("h2", {}, "New widget"),
    h("div", { class: "field" }, h("label", {}, "Type"), kindSelect), holder));
  draw();
}

// tick keeps the controls' live state display current every frame.
function tick() {
  const el = document.getElementById("live");
  if (el && selected && selected.live && conn) {
    const w = selected.live;
    let text = "";
    if (w.type === "countdown") text = format(remaining(w.state, conn.now())) + (w.state.enabled ? "" : w.state.finished ? " · finished" : " · paused");
    else if (w.type === "goal") text = `${w.state.current} / ${w.config.target}${w.config.unit ? " " + w.config.unit : ""}`;
    if (el.textContent !== text) el.textContent = text;
  }
  requestAnimationFrame(tick);
}
