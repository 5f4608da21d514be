// The manager's live preview: the widget drawn by the same code as the OBS
// page (mount.js and the kind's render/<type>.js, docs/kinds.md) from the
// console's own manager session, on a 1920×1080 stage scaled to fit.
//
// Why not the OBS URL in an iframe: that would open a widget-token session,
// counted as an OBS view, so "In OBS" would be true whenever the console is
// open. The stage is an empty same-origin frame instead: the overlay's
// styles apply inside it and the console's do not leak in.
import { mountWidget } from "./mount.js";
import { h } from "./dom.js";

const STAGE_W = 1920;

// mountPreview draws into box; now() is the server-corrected clock.
export function mountPreview(box, now) {
  const frame = h("iframe", { title: "overlay preview", "data-testid": "preview", tabindex: "-1" });
  const off = h("span", { class: "preview-off", "data-testid": "preview-off", hidden: true }, "Off: not shown on stream");
  const notice = h("span", { class: "preview-off", "data-testid": "preview-notice", hidden: true });
  box.replaceChildren(frame, off, notice);
  const fit = () => (frame.style.transform = `scale(${box.clientWidth / STAGE_W})`);
  const resize = new ResizeObserver(fit);
  resize.observe(box);

  const doc = frame.contentDocument; // about:blank, same origin: ours to fill
  doc.documentElement.lang = "en";
  doc.head.append(Object.assign(doc.createElement("link"), { rel: "stylesheet", href: "/assets/overlay.css" }));
  const root = doc.createElement("main");
  root.id = "widget";
  doc.body.append(root);

  const ctx = {
    preview: true,
    // A preview shows, it never acts (no acknowledgements from the manager).
    action: () => Promise.resolve({ success: false, code: "preview", error: "the preview never acts" }),
    now,
  };
  let handle = null;
  let widget = null;
  let raf = 0;
  const status = (s) => {
    frame.dataset.status = s;
    const text = { unsupported: "This console cannot draw this kind of widget yet.", failed: "The widget's overlay failed to draw (see the browser console)." }[s];
    notice.textContent = text || "";
    notice.hidden = !text;
  };
  const draw = () => {
    raf = requestAnimationFrame(draw);
    if (handle && widget) handle.render(widget, now());
  };
  return {
    // update gives the preview the live widget ({type, title, config, state, active, version}).
    update(w) {
      if (!w) return;
      widget = w;
      off.hidden = w.active !== false;
      if (!handle) {
        handle = mountWidget(root, w, ctx, { onStatus: status });
        raf = requestAnimationFrame(draw);
      }
    },
    // event forwards a WIDGET_EVENT to the kind's view.
    event(name, data) {
      if (handle) handle.event(name, data, widget);
    },
    destroy() {
      cancelAnimationFrame(raf);
      resize.disconnect();
      if (handle) handle.destroy();
      handle = null;
    },
  };
}
