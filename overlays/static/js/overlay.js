// The OBS overlay: /widgets/:widgetId#token=… — read-only, one widget.
import { Connection, tokenFromLocation } from "./runtime.js";
import { renderers } from "./render/index.js";

const root = document.getElementById("widget");
const notice = document.getElementById("notice");
const status = document.getElementById("status");
const widgetId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");

function showNotice(title, text) {
  notice.replaceChildren();
  const strong = document.createElement("strong");
  strong.textContent = title;
  notice.append(strong, document.createTextNode(text));
  notice.hidden = false;
  notice.dataset.kind = title;
}

// A new token in the fragment (an edited URL) does not reload the page by itself.
window.addEventListener("hashchange", () => location.reload());

const token = tokenFromLocation();
if (!token) {
  showNotice("This widget link has no token", "Copy the OBS URL from the streamwidgets manager again.");
} else {
  start();
}

function start() {
  const conn = new Connection(token);
  let view = null;
  let widget = null;
  let visible = true;

  conn.addEventListener("status", (ev) => {
    const { status: s } = ev.detail;
    document.body.dataset.status = s;
    if (s === "open") {
      status.hidden = true;
    } else if (s === "revoked") {
      root.hidden = true;
      showNotice("This widget link no longer works", "Its token was regenerated or is invalid. Copy the new OBS URL from the streamwidgets manager.");
    } else {
      status.textContent = s === "connecting" ? "Connecting…" : "Connection lost — reconnecting…";
      status.hidden = false;
    }
  });

  conn.subscribe(widgetId, (msg, w) => {
    if (msg.type === "WIDGET_DELETED") {
      root.hidden = true;
      showNotice("This widget was deleted", "Remove this browser source, or create a new widget in the manager.");
      return;
    }
    if (msg.type === "ERROR") {
      if (msg.code === "not_found") showNotice("Widget not found", "This link does not match a widget. Copy the OBS URL from the manager again.");
      return;
    }
    widget = w;
    if (!view && widget) {
      const kind = renderers[widget.type];
      if (!kind) {
        showNotice("Unsupported widget", `This overlay cannot show "${widget.type}" widgets yet.`);
        return;
      }
      view = kind.mount(root);
    }
    notice.hidden = true;
    root.hidden = false;
  });

  // Render every frame from state and the server-corrected clock, so every
  // view flips the same second together; pause while OBS hides the source.
  const frame = () => {
    if (view && widget && visible) view.render(widget, conn.now());
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  window.addEventListener("obsSourceVisibleChanged", (ev) => {
    visible = !!(ev.detail && ev.detail.visible);
  });
  conn.start();
}
