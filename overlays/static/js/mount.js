// mountWidget shows one widget with its kind's render module, found by
// convention at render/<type>.js (docs/kinds.md). The OBS page and the
// console's preview both use it, so they look and behave the same:
// appearance config as CSS variables, nothing on stream while inactive,
// the kind's styles injected once per document.

const TYPE = /^[a-z][a-z0-9_]{0,31}$/;
const FONT = /^[A-Za-z0-9 ,'"\-]{1,100}$/; // the server's check (actors/kinds/appearance.go)
const COLOR = /^#[0-9a-fA-F]{6}$/;
const FONT_FALLBACK = `"Segoe UI", "Helvetica Neue", Arial, sans-serif`;
// A dark outline plus a soft shadow: readable over a white sky or a dark
// cave. In em of each element (set on every descendant), so big digits get a
// thicker outline than a caption.
const OUTLINE = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]]
  .map((xy) => xy.map((d) => (d ? `calc(${d} * (0.02em + 1px))` : "0")).join(" ") + " 0 #000")
  .concat("0 0.05em 0.3em rgba(0,0,0,.75)")
  .join(", ");
const MAX_QUEUED_EVENTS = 100;

// The look every kind starts from; a kind's css refines it.
const BASE_CSS = `
.sw-root {
  box-sizing: border-box; width: 100%; height: 100%;
  display: flex; flex-direction: column; justify-content: center;
  align-items: var(--sw-align-items, center);
  text-align: var(--sw-align, center);
  font-family: var(--sw-font, Inter, system-ui, ${FONT_FALLBACK});
  font-size: var(--sw-font-size, 32px);
  color: var(--sw-color, #fff);
  line-height: 1.2;
  -webkit-font-smoothing: antialiased;
}
.sw-root, .sw-root :where(*) { text-shadow: var(--sw-outline, ${OUTLINE}); }
.sw-root[hidden] { display: none !important; }
`;

const modules = new Map(); // type -> Promise<{module} | {missing: true} | {error}>

// loadKind imports render/<type>.js once. A module that does not exist
// (404) is "missing" for good; a network failure is not cached, so a retry
// (with another URL: the browser caches failed imports) can succeed.
export function loadKind(type, attempt = 0) {
  if (typeof type !== "string" || !TYPE.test(type)) return Promise.resolve({ missing: true });
  const cached = modules.get(type);
  if (cached) return cached;
  const url = new URL(`./render/${type}.js`, import.meta.url);
  if (attempt) url.searchParams.set("retry", String(attempt));
  const p = import(url.href).then(
    (m) => (typeof m.mount === "function" ? { module: m } : { missing: true }),
    async (error) => {
      const res = await fetch(url.href, { method: "HEAD", cache: "no-store" }).catch(() => null);
      if (res && res.status === 404) return { missing: true };
      modules.delete(type);
      return { error };
    },
  );
  modules.set(type, p);
  return p;
}

// adoptCSS adds a style sheet to doc once per key. Constructed sheets, not
// <style> elements: the pages' CSP allows no inline styles.
const adopted = new WeakMap(); // document -> Set(key)
export function adoptCSS(doc, key, css) {
  if (!css) return;
  let keys = adopted.get(doc);
  if (!keys) adopted.set(doc, (keys = new Set()));
  if (keys.has(key)) return;
  const sheet = new doc.defaultView.CSSStyleSheet();
  sheet.replaceSync(String(css));
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  keys.add(key);
}

// appearanceVars maps a config's appearance fields to CSS variables; a
// field absent or invalid leaves the base look's default.
export function appearanceVars(config) {
  const c = config || {};
  const align = ["left", "center", "right"].includes(c.align) ? c.align : null;
  const size = Number.isFinite(c.font_size) && c.font_size >= 8 && c.font_size <= 200 ? c.font_size : null;
  return {
    "--sw-font": typeof c.font_family === "string" && FONT.test(c.font_family) ? `${c.font_family}, ${FONT_FALLBACK}` : null,
    "--sw-font-size": size === null ? null : `${size}px`,
    "--sw-color": COLOR.test(c.text_color || "") ? c.text_color : null,
    "--sw-accent": COLOR.test(c.accent_color || "") ? c.accent_color : null,
    "--sw-align": align,
    "--sw-align-items": align && { left: "flex-start", center: "center", right: "flex-end" }[align],
    "--sw-outline": c.outline === false ? "none" : null,
  };
}

function applyAppearance(el, config) {
  for (const [name, value] of Object.entries(appearanceVars(config))) {
    if (value === null) el.style.removeProperty(name);
    else if (el.style.getPropertyValue(name) !== value) el.style.setProperty(name, value);
  }
}

// mountWidget shows widget ({type, title, config, state, active, version})
// in a new element inside root and returns a handle:
//   render(widget, now)      every animation frame, with the newest widget
//   event(name, data, widget) a WIDGET_EVENT (queued until the module runs)
//   destroy()
//   status                   "loading" | "ready" | "inactive" | "unsupported" | "failed" | "destroyed"
//   ready                    a Promise of the status once the module is loaded or known missing
// ctx is passed to the kind's mount: {preview, action(name, payload), now()}.
// opts.onStatus(status) is called on every status change (notices).
export function mountWidget(root, widget, ctx, opts = {}) {
  const doc = root.ownerDocument;
  adoptCSS(doc, "sw-base", BASE_CSS);
  const type = widget && widget.type;
  const el = doc.createElement("div");
  el.className = "sw-root";
  if (typeof type === "string" && TYPE.test(type)) {
    el.classList.add(`kind-${type}`);
    el.dataset.kind = type;
  }
  root.append(el);

  let mod = null;
  let view = null;
  let current = widget;
  let queued = [];
  let warned = false;
  let settle;

  const handle = {
    type,
    element: el,
    status: "loading",
    ready: new Promise((resolve) => (settle = resolve)),
    render(w, now) {
      if (w) current = w;
      if (handle.status === "destroyed" || !current) return;
      applyAppearance(el, current.config);
      if (current.active === false) {
        // Inactive: nothing on stream. The view starts afresh when reactivated.
        unmount();
        el.hidden = true;
        setStatus(mod ? "inactive" : handle.status);
        return;
      }
      el.hidden = false;
      if (!mod || handle.status === "failed") return;
      if (!view) {
        view = guard(() => mod.mount(el, ctx || {})) || null;
        if (!view) return setStatus("failed");
        setStatus("ready");
        const pending = queued;
        queued = [];
        for (const [name, data] of pending) handle.event(name, data, current);
      }
      guard(() => view.render(current, now));
    },
    event(name, data, w) {
      if (w) current = w;
      if (handle.status === "destroyed" || (current && current.active === false)) return;
      if (!view) {
        if (handle.status === "loading" && queued.length < MAX_QUEUED_EVENTS) queued.push([name, data]);
        return;
      }
      if (typeof view.event === "function") guard(() => view.event(name, data, current));
    },
    destroy() {
      unmount();
      el.remove();
      setStatus("destroyed");
    },
  };

  function setStatus(s) {
    if (handle.status === s || handle.status === "destroyed") return;
    handle.status = s;
    if (opts.onStatus) opts.onStatus(s);
  }

  function unmount() {
    if (view && typeof view.destroy === "function") guard(() => view.destroy());
    view = null;
    el.replaceChildren();
    el.className = el.className.split(" ").filter((c) => c === "sw-root" || c === `kind-${type}`).join(" ");
  }

  // guard keeps one broken kind from stopping the page's frame loop.
  function guard(fn) {
    try {
      return fn();
    } catch (err) {
      if (!warned) console.error(`streamwidgets: the ${type} overlay failed`, err);
      warned = true;
      return undefined;
    }
  }

  (async () => {
    for (let attempt = 0; handle.status !== "destroyed"; attempt++) {
      const r = await loadKind(type, attempt);
      if (r.module) {
        mod = r.module;
        adoptCSS(doc, `kind:${type}`, mod.css);
        handle.render(null, ctx && ctx.now ? ctx.now() : Date.now());
        settle(handle.status);
        return;
      }
      if (r.missing) {
        queued = [];
        setStatus("unsupported");
        settle(handle.status);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(30000, 1000 * 2 ** attempt)));
    }
    settle(handle.status);
  })();

  return handle;
}
