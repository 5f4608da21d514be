// The manager console: sign in, list/create/edit/delete widgets, live
// preview, OBS URL, token regeneration and actions. REST for records, the
// WebSocket (user session) for live state, viewer counts and actions. No
// widget kind is named here: forms, buttons and previews come from GET /kinds
// and each kind's render module.
import { Connection } from "./runtime.js";
import { h, clear } from "./dom.js";
import { Api, loadSession, saveSession, redeem } from "./api.js";
import { widgetForm } from "./form.js";
import { showDetail } from "./detail.js";
import { WidgetList } from "./widget_list.js";

// The server allows 100 subscriptions per connection; the list's live
// "in OBS" dots use one each, the rest is headroom.
const MAX_WATCHED = 90;
const $ = (id) => document.getElementById(id);

let session = null;
let api = null;
let kinds = {};
let widgets = [];
let selectedId = null;
let detail = null;
let conn = null;
const viewers = new Map(); // widgetId -> {obs, managers}
const list = new WidgetList($("widgets"), $("empty"), (id) => select(id, true));

// A sign-in link pasted into this tab changes only the fragment: no page
// load, so redeem it by loading again.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("signin")) location.reload();
});
// Widgets created or deleted elsewhere (the phone beside the PC) appear
// when this tab is looked at again.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && session && conn) loadList();
});
main();

async function main() {
  const ticket = new URLSearchParams(location.hash.slice(1)).get("signin");
  if (ticket) {
    history.replaceState(null, "", location.pathname); // the link works once: drop it from history
    const r = await redeem(ticket);
    if (r.error) $("signin-error").textContent = r.error;
    else saveSession((session = r.session));
  }
  session = session || loadSession();
  if (!session) return showSignIn();
  await startApp();
}

function showSignIn(message) {
  $("app").hidden = true;
  $("signout").hidden = true;
  $("conn").hidden = true;
  $("who").textContent = "";
  $("signin").hidden = false;
  if (message) $("signin-error").textContent = message;
  $("token-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const token = $("token-input").value.trim();
    $("token-input").value = "";
    session = { token, user_id: "", expires_at: new Date(Date.now() + 3600e3).toISOString() };
    const probe = await new Api(token, () => {}).call("GET", "/records/stream_widgets?perPage=1");
    if (probe.ok) {
      saveSession(session);
      startApp();
    } else $("signin-error").textContent = probe.status === 401 ? "That token was refused." : probe.error;
  };
}

function signOut(message) {
  saveSession(null);
  session = null;
  if (conn) conn.stop();
  conn = null;
  if (detail) detail.destroy();
  detail = null;
  showSignIn(message);
}

async function startApp() {
  api = new Api(session.token, () => signOut("Your sign-in expired or is invalid. Sign in again."));
  $("signin").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = false;
  $("signout").onclick = () => signOut();
  clear($("who")).append(h("span", { class: "who-label" }, session.user_id ? "Signed in as " : "Signed in"), session.user_id ? h("b", {}, session.user_id) : "");
  $("new").onclick = () => showCreate();
  const k = await fetch("/kinds").then((r) => r.json()).catch(() => ({ data: [] }));
  kinds = Object.fromEntries((k.data || []).map((info) => [info.type, info]));
  conn = new Connection(session.token);
  conn.addEventListener("status", (ev) => showStatus(ev.detail.status));
  showStatus(conn.status);
  conn.start();
  await loadList();
  if (widgets.length) select(widgets[0].id);
  else showCreate();
}

function showStatus(status) {
  const el = $("conn");
  el.hidden = false;
  el.dataset.status = status;
  el.textContent = { open: "live", connecting: "connecting…", reconnecting: "reconnecting…", revoked: "signed out" }[status] || status;
  if (status === "revoked") signOut("Your sign-in expired. Sign in again.");
}

async function loadList() {
  const all = await api.widgets();
  if (!all) return;
  widgets = all;
  watch();
  renderList();
}

// watch subscribes to the listed widgets (live state, viewer counts) and
// drops subscriptions of widgets no longer listed.
function watch() {
  const want = new Set(widgets.slice(0, MAX_WATCHED).map((w) => w.id));
  if (selectedId) want.add(selectedId);
  for (const id of [...conn.subs.keys()]) if (!want.has(id)) conn.unsubscribe(id);
  for (const id of want) if (!conn.subs.has(id)) conn.subscribe(id, (msg, live) => onMessage(id, msg, live));
}

function onMessage(id, msg, live) {
  switch (msg.type) {
    case "WIDGET_DELETED":
      removed(id, "This widget was deleted.");
      return;
    case "WIDGET_VIEWERS":
      viewers.set(id, { obs: msg.obs || 0, managers: msg.managers || 0 });
      renderList();
      if (id === selectedId && detail) detail.viewers(viewers.get(id));
      return;
    case "WIDGET_EVENT":
      if (id === selectedId && detail) detail.event(msg);
      return;
  }
  if (!live) return;
  const i = widgets.findIndex((w) => w.id === id);
  if (i >= 0 && (widgets[i].title !== live.title || widgets[i].active !== live.active)) {
    widgets[i] = { ...widgets[i], title: live.title, active: live.active };
    renderList();
  }
  if (id === selectedId && detail) detail.update(live);
}

function renderList() {
  list.render(widgets, viewers, selectedId, kinds);
}

function removed(id, message) {
  widgets = widgets.filter((w) => w.id !== id);
  viewers.delete(id);
  if (conn) conn.unsubscribe(id);
  if (id === selectedId) {
    selectedId = null;
    if (detail) detail.destroy();
    detail = null;
    clear($("detail")).append(h("p", { class: "muted" }, message));
  }
  renderList();
}

async function select(id, clicked = false) {
  const r = await api.call("GET", `/records/stream_widgets/${encodeURIComponent(id)}`);
  if (!r.ok) return;
  if (detail) detail.destroy();
  selectedId = id;
  const rec = r.data;
  const kind = kinds[rec.type] || { type: rec.type, name: rec.type, actions: [], config_schema: { properties: {} } };
  detail = showDetail($("detail"), rec, kind, {
    api,
    conn,
    onChanged: (next) => {
      const i = widgets.findIndex((w) => w.id === next.id);
      if (i >= 0) widgets[i] = next;
      renderList();
    },
    onDeleted: async (gone) => {
      removed(gone, "");
      await loadList();
      if (widgets.length) select(widgets[0].id);
      else showCreate();
    },
  });
  watch();
  const live = conn.widget(id);
  if (live) detail.update(live);
  if (viewers.has(id)) detail.viewers(viewers.get(id));
  renderList();
  // On a phone the list sits above the widget: show what was picked.
  if (clicked && matchMedia("(max-width: 900px)").matches) $("detail").scrollIntoView({ block: "start" });
}

function showCreate() {
  if (detail) detail.destroy();
  detail = null;
  selectedId = null;
  watch();
  renderList();
  const container = clear($("detail"));
  const list = Object.values(kinds);
  const kindSelect = h("select", { id: "kind-select", "data-testid": "kind-select", "aria-label": "widget type" },
    ...list.map((k) => h("option", { value: k.type }, k.name)));
  const holder = h("div");
  const draw = () => {
    const kind = kinds[kindSelect.value];
    if (!kind) return;
    clear(holder).append(h("p", { class: "muted" }, kind.description),
      widgetForm(kind, null, async (body) => {
        const r = await api.call("POST", "/records/stream_widgets", { ...body, type: kind.type });
        if (r.ok) {
          await loadList();
          await select(r.data.id);
        }
        return r;
      }));
  };
  kindSelect.onchange = draw;
  container.append(h("div", { class: "card wide" }, h("h2", {}, "New widget"),
    h("div", { class: "field" }, h("label", { for: "kind-select" }, "Type"), kindSelect), holder));
  draw();
}
