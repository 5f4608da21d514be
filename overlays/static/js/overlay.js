// The OBS overlay: /widgets/:widgetId#token=… — one widget, read-only.
// Viewers never see a notice: "Connecting…", "reconnecting" and error boxes
// are drawn only with #…&debug=1 (a streamer checking a link) or
// #…&preview=1 (the manager's preview, which also never acknowledges).
// While it reconnects the widget keeps its last state.
import { Connection, tokenFromLocation } from "./runtime.js";
import { mountWidget } from "./mount.js";

const root = document.getElementById("widget");
const notice = document.getElementById("notice");
const status = document.getElementById("status");
const widgetId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");

const flags = new URLSearchParams(location.hash.slice(1));
const flag = (name) => flags.has(name) && flags.get(name) !== "0" && flags.get(name) !== "false";
const preview = flag("preview");
document.body.classList.toggle("debug", preview || flag("debug"));

// What a streamer must act on; kind names the case for tests and styles.
const NOTICES = {
  no_token: ["This widget link has no token", "Copy the OBS URL from the streamwidgets manager again."],
  revoked: ["This widget link no longer works", "Its token was regenerated or is invalid. Copy the new OBS URL from the streamwidgets manager."],
  deleted: ["This widget was deleted", "Remove this browser source, or create a new widget in the manager."],
  not_found: ["Widget not found", "This link does not match a widget. Copy the OBS URL from the manager again."],
  unsupported: ["Unsupported widget", "This overlay cannot show this kind of widget: update streamwidgets."],
  failed: ["This widget could not be drawn", "Reload the source; if it persists, report it with the browser console's output."],
  inactive: ["This widget is off", "It shows nothing on stream until you turn on Active in the manager."],
};

function showNotice(kind) {
  const [title, text] = NOTICES[kind];
  const strong = document.createElement("strong");
  strong.textContent = title;
  notice.replaceChildren(strong, document.createTextNode(text));
  notice.dataset.kind = kind;
  notice.hidden = false;
  status.hidden = true; // never a stale "Connecting…" beside it
}

function clearNotice(...kinds) {
  if (!notice.hidden && kinds.includes(notice.dataset.kind)) {
    notice.hidden = true;
    delete notice.dataset.kind;
  }
}

// A link that cannot work until the streamer acts: the widget is hidden and
// retries (rare, by the runtime) show no connection status.
const ENDED = ["no_token", "revoked", "deleted", "not_found"];
const ended = () => !notice.hidden && ENDED.includes(notice.dataset.kind);

// A new token in the fragment (an edited URL) does not reload the page by itself.
window.addEventListener("hashchange", () => location.reload());

const token = tokenFromLocation();
if (!token) showNotice("no_token");
else start();

function start() {
  const conn = new Connection(token);
  const ctx = {
    preview,
    // The preview shows, it never acts (no acknowledgements from the manager's tab).
    action: (name, payload) => (preview ? Promise.resolve({ success: false, code: "preview", error: "preview never acts" }) : conn.action(widgetId, name, payload)),
    now: () => conn.now(),
  };
  let handle = null;
  let widget = null;
  let visible = true;

  const end = (kind) => {
    if (handle) handle.destroy();
    handle = null;
    widget = null;
    root.hidden = true;
    showNotice(kind);
  };

  conn.addEventListener("status", (ev) => {
    const { status: s, code } = ev.detail;
    document.body.dataset.status = s;
    if (s === "open") {
      status.hidden = true;
    } else if (s === "revoked") {
      end(code === "widget_deleted" ? "deleted" : "revoked");
    } else if (!ended()) {
      status.textContent = s === "connecting" ? "Connecting…" : "Connection lost — reconnecting…";
      status.hidden = false;
    }
  });

  conn.subscribe(widgetId, (msg, w) => {
    switch (msg.type) {
      case "WIDGET_DELETED":
        return end("deleted");
      case "ERROR":
        if (msg.code === "not_found") end("not_found");
        else if (msg.code === "widget_deleted") end("deleted");
        return;
      case "WIDGET_EVENT":
        if (handle) handle.event(msg.event, msg.data, w);
        return;
      case "WIDGET_VIEWERS":
        return;
    }
    if (!w) return;
    widget = w;
    clearNotice(...ENDED);
    root.hidden = false;
    if (!handle) handle = mountWidget(root, widget, ctx, { onStatus: kindStatus });
    handle.render(widget, conn.now());
  });

  // kindStatus shows why nothing is drawn (debug and preview only).
  function kindStatus(s) {
    document.body.dataset.widget = s;
    if (s === "unsupported" || s === "failed" || s === "inactive") showNotice(s);
    else clearNotice("unsupported", "failed", "inactive");
  }

  // Render every frame from state and the server-corrected clock, so every
  // view flips the same second together; pause while OBS hides the source.
  const frame = () => {
    if (handle && widget && visible) handle.render(widget, conn.now());
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  window.addEventListener("obsSourceVisibleChanged", (ev) => {
    visible = !!(ev.detail && ev.detail.visible);
  });
  conn.start();
}
