// Forms built from schemas: a widget's name and config (create and edit) and
// action payloads. Problems are shown next to the field they concern, from
// the user's input before sending and from the server's error after.
import { h } from "./dom.js";
import { objectControl } from "./schema_form.js";

// schemaForm wraps an object schema's controls. opts: { testPrefix, omitEmpty }.
export function schemaForm(schema, value, opts) {
  const root = objectControl(schema || { properties: {} }, value || {}, { omitEmpty: new Set(), ...opts });
  let marked = [];
  const clearErrors = () => {
    for (const c of marked) c.setError("");
    marked = [];
  };
  const mark = (c, message) => {
    c.setError(message);
    marked.push(c);
    const section = c.el.closest("details");
    if (section) section.open = true; // an error in the collapsed Appearance section
  };
  return {
    el: root.el,
    root,
    // read returns {value, problems}; each problem is already shown at its field.
    read() {
      clearErrors();
      const errors = [];
      const value = root.read(errors);
      for (const e of errors) mark(e.control, e.message);
      if (errors.length) errors[0].control.focus();
      return { value, problems: errors.map((e) => e.message) };
    },
    // showServerError puts a server error under the field it names, if any;
    // it returns whether a field took it.
    showServerError(err) {
      const c = fieldOf(root, err);
      if (!c || c === root) return false;
      mark(c, err.message);
      c.focus();
      return true;
    },
    clearErrors,
  };
}

// fieldOf finds the control an error is about: the error's field if the
// server names one, else the field its message starts with
// ("target must be…", "options[2].title must…").
export function fieldOf(root, err) {
  const path = err.field || (/^([A-Za-z_]\w*(?:\[\d+\]|\.\w+)*)\b/.exec(err.message || "") || [])[1];
  if (!path) return null;
  const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean);
  return root.find(parts);
}

// widgetForm is the create/edit form of a widget: its name (only in this
// list) and its kind's config (what the overlay shows). submit(body) returns
// the API result; a refusal is shown at the field it concerns.
export function widgetForm(kind, rec, submit) {
  const creating = !rec;
  const schema = kind.config_schema || { properties: {} };
  const props = schema.properties || {};
  const values = creating ? { ...(kind.default_config || {}) } : rec.config || {};
  // A new widget's on-stream title follows its name unless one is typed (the
  // server defaults config.title to the record's title).
  const followsName = creating && props.title && props.title.type === "string";
  if (followsName) delete values.title;
  const config = schemaForm(schema, values, { testPrefix: "field-", omitEmpty: new Set(followsName ? ["title"] : []) });

  const form = h("form", { "data-testid": "config-form", novalidate: true });
  const name = h("input", { id: "f-name", name: "title", maxlength: 200, value: rec ? rec.title : "", placeholder: kind.name, "data-testid": "field-name" });
  const nameError = h("p", { class: "field-error", role: "alert", hidden: true });
  const nameField = h("div", { class: "field" },
    h("label", { for: "f-name" }, "Name ", h("span", { class: "muted" }, props.title ? "(in your widget list; not shown on stream)" : "(in your widget list)")),
    name, nameError);
  const streamTitle = config.root.find(["title"]);
  if (followsName && streamTitle && streamTitle.input) {
    const mirror = () => (streamTitle.input.placeholder = name.value.trim() ? `${name.value.trim()} (same as the name)` : "Same as the name");
    name.addEventListener("input", mirror);
    mirror();
  }
  const error = h("p", { class: "error", "data-testid": "form-error", role: "alert" });
  const save = h("button", { type: "submit", "data-testid": "save" }, creating ? "Create" : "Save");
  form.append(nameField, config.el, h("div", { class: "row form-foot" }, save, error));

  const setNameError = (msg) => {
    nameError.textContent = msg || "";
    nameError.hidden = !msg;
    nameField.classList.toggle("invalid", !!msg);
  };
  name.addEventListener("input", () => setNameError(""));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    error.className = "error";
    error.textContent = "";
    setNameError("");
    const { value, problems } = config.read();
    if (problems.length) {
      error.textContent = problems.length === 1 ? problems[0] : `${problems[0]} (and ${problems.length - 1} more)`;
      return;
    }
    const body = { config: value };
    if (name.value.trim() || rec) body.title = name.value.trim() || kind.name;
    save.disabled = true;
    const r = await submit(body);
    save.disabled = false;
    if (!r || r.ok) {
      error.className = "ok";
      error.textContent = creating ? "" : "Saved ✓";
      return;
    }
    error.textContent = r.error || "Not saved.";
    if (r.code === "invalid_field" && /^title\b/.test(r.error || "")) {
      setNameError(r.error);
      name.focus();
    } else if (r.code !== "invalid_field") {
      config.showServerError({ message: r.error, field: r.field });
    }
  };
  return form;
}
