import { h } from "./dom.js";

// configForm renders the widget's name and its kind's config fields (from the
// kind's JSON schema), and calls submit({title, config}, errorElement). The
// server validates; its message is shown as is.
export function configForm(kind, rec, submit) {
  const schema = kind.config_schema || { properties: {} };
  const props = schema.properties || {};
  const order = schema["x-order"] || Object.keys(props);
  const values = (rec && rec.config) || kind.default_config || {};
  const form = h("form", { "data-testid": "config-form", novalidate: true });
  const name = h("input", { name: "title", maxlength: 200, value: rec ? rec.title : "", placeholder: kind.name, "data-testid": "field-name" });
  form.append(h("div", { class: "field" }, h("label", {}, "Name (shown in this list)"), name));
  const inputs = {};
  for (const key of order) {
    const p = props[key];
    if (!p) continue;
    const numeric = p.type === "integer" || p.type === "number";
    const input = h("input", {
      name: key,
      type: numeric ? "number" : "text",
      step: p.type === "integer" ? "1" : numeric ? "any" : null,
      min: p.minimum, max: p.maximum, maxlength: p.maxLength,
      value: values[key] ?? "",
      "data-testid": `field-${key}`,
    });
    inputs[key] = { input, numeric };
    const required = (schema.required || []).includes(key) ? " *" : "";
    form.append(h("div", { class: "field" }, h("label", {}, (p.title || key) + required), input));
  }
  const error = h("p", { class: "error", "data-testid": "form-error", role: "alert" });
  form.append(h("div", { class: "row" }, h("button", { type: "submit", "data-testid": "save" }, rec ? "Save" : "Create")), error);
  form.onsubmit = (ev) => {
    ev.preventDefault();
    error.className = "error";
    error.textContent = "";
    const config = {};
    for (const [key, { input, numeric }] of Object.entries(inputs)) {
      if (input.value === "") continue;
      config[key] = numeric ? Number(input.value) : input.value;
    }
    const body = { config };
    if (name.value.trim() || rec) body.title = name.value.trim() || kind.name;
    submit(body, error);
  };
  return form;
}
