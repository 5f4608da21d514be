// The controls of a widget: one button per action its kind declares (not the
// hidden ones fed by integrations, nor the viewer-only acknowledgements). An
// action with one simple field gets it inline; more fields open a dialog. A
// button whose spec has x-active-when shows when the state is that action's
// (Start while running, Pause while paused).
import { h } from "./dom.js";
import { schemaForm } from "./form.js";

// actionPanel builds the controls. send(name, payload) resolves with the
// WIDGET_ACTION_RESPONSE ({success, error, code}).
export function actionPanel(kind, send) {
  const specs = (kind.actions || []).filter((a) => !a.hidden && a.access !== "viewer");
  const result = h("p", { class: "muted result", "data-testid": "action-result", role: "status" });
  const off = h("p", { class: "warn", "data-testid": "actions-off", hidden: true }, "This widget is off: it shows nothing on stream and its controls are disabled. Turn it on above.");
  const buttons = h("div", { class: "actions" });
  const inline = h("div", { class: "actions-inline" });
  const dialogs = h("div");
  const all = []; // { spec, btn }

  const run = async (spec, btn, payload, form) => {
    btn.disabled = true;
    result.className = "muted result";
    result.textContent = `${spec.label}…`;
    const r = await send(spec.name, payload);
    btn.disabled = false;
    if (r.success) {
      result.className = "ok result";
      result.textContent = `✓ ${spec.label}`;
      return r;
    }
    result.className = "error result";
    result.textContent = `${spec.label} failed: ${r.error || r.code || "no answer"}`;
    const placed = !!form && r.code === "invalid_payload" && form.showServerError({ message: r.error, field: r.field });
    return { ...r, placed };
  };

  for (const spec of specs) {
    const props = (spec.payload_schema && spec.payload_schema.properties) || {};
    const keys = Object.keys(props);
    const btn = h("button", { type: "button", class: "action", "data-testid": `action-${spec.name}` }, spec.label || spec.name);
    all.push({ spec, btn });
    if (!keys.length) {
      btn.onclick = () => run(spec, btn);
      buttons.append(btn);
      continue;
    }
    const form = schemaForm(spec.payload_schema, {}, { testPrefix: `payload-${spec.name}-` });
    const simple = keys.length === 1 && ["string", "integer", "number", "boolean"].includes(props[keys[0]].type);
    if (simple) {
      btn.type = "submit";
      const f = h("form", { class: "payload-inline", novalidate: true, "data-testid": `form-${spec.name}` }, form.el, btn);
      f.onsubmit = (ev) => {
        ev.preventDefault();
        const { value, problems } = form.read();
        if (problems.length) {
          result.className = "error result";
          result.textContent = problems[0];
          return;
        }
        run(spec, btn, value, form);
      };
      inline.append(f);
      continue;
    }
    const dlg = payloadDialog(spec, form, (value, sendBtn) => run(spec, sendBtn, value, form));
    btn.onclick = () => {
      form.clearErrors();
      dlg.showModal();
    };
    buttons.append(btn);
    dialogs.append(dlg);
  }

  const el = h("div", { class: "controls" }, off, buttons, inline, result, dialogs);
  if (!specs.length) el.prepend(h("p", { class: "muted" }, "This kind has no controls here: it is fed by integrations."));
  return {
    el,
    // update reflects the live widget: which state button is current, and
    // whether the widget is off.
    update(widget) {
      if (!widget) return;
      const state = widget.state || {};
      for (const { spec, btn } of all) {
        const when = spec["x-active-when"];
        if (when) {
          const on = state[when.field] === when.equals;
          btn.classList.toggle("on", on);
          btn.setAttribute("aria-pressed", String(on));
        }
        btn.disabled = widget.active === false;
      }
      off.hidden = widget.active !== false;
      el.classList.toggle("inactive", widget.active === false);
    },
  };
}

// payloadDialog asks for an action's fields, then sends them.
function payloadDialog(spec, form, submit) {
  const sendBtn = h("button", { type: "submit", "data-testid": `send-${spec.name}` }, spec.label || spec.name);
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const error = h("p", { class: "error", role: "alert" });
  const f = h("form", { novalidate: true }, h("h3", {}, spec.label || spec.name), form.el, h("div", { class: "row form-foot" }, sendBtn, cancel), error);
  const dlg = h("dialog", { class: "payload-dialog", "data-testid": `dialog-${spec.name}` }, f);
  cancel.onclick = () => dlg.close();
  f.onsubmit = async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const { value, problems } = form.read();
    if (problems.length) {
      error.textContent = problems[0];
      return;
    }
    const r = await submit(value, sendBtn);
    if (r.success) dlg.close();
    else if (!r.placed) error.textContent = r.error || "Not sent."; // else it is under its field
  };
  return dlg;
}
