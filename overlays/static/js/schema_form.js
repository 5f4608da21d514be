// Form controls generated from a kind's JSON schema (the subset in
// docs/kinds.md). Nothing here knows a widget kind: config forms and action
// payload forms are both built from schemas the server sends.
//
// A control is { el, read(errors), find(parts), setPath(path), setError(msg), focus() }:
// read returns the value to send (undefined: leave it out) and pushes
// {control, message} for what the user must fix; find resolves an error's
// field path ("options.2.title") to the control that shows it.
import { h } from "./dom.js";
import { parseDuration, formatDuration, describeDuration } from "./duration.js";

let uid = 0;

// control builds the control for one schema property.
// opts: { testPrefix, omitEmpty: Set of paths sent only when filled }
export function control(key, p, value, opts, required) {
  if (p.type === "object" && p.properties) return objectControl(p, value, opts, { key, nested: true, required });
  if (p.type === "array" && p.items && p.items.type === "object" && p.items.properties) return listControl(key, p, value, opts);
  if (p.type === "array" && p.items && Array.isArray(p.items.enum)) return choicesControl(key, p, value, opts);
  if (p.type === "array" && p.items && ["string", "integer", "number"].includes(p.items.type)) return linesControl(key, p, value, opts, required);
  if (["string", "integer", "number", "boolean"].includes(p.type)) return leafControl(key, p, value, opts, required);
  return jsonControl(key, p, value, opts, required);
}

// objectControl lays out an object's properties in x-order; properties with
// x-group go to a collapsed section named after the group ("Appearance").
export function objectControl(schema, value, opts, { key = "", nested = false, required = false } = {}) {
  const props = schema.properties || {};
  const listed = (schema["x-order"] || []).filter((k) => props[k]);
  const order = [...listed, ...Object.keys(props).filter((k) => !listed.includes(k))];
  const req = new Set(schema.required || []);
  const children = new Map();
  const main = h("div", { class: "fields" });
  const groups = new Map();
  for (const k of order) {
    const c = control(k, props[k], value ? value[k] : undefined, opts, req.has(k));
    children.set(k, c);
    const g = props[k]["x-group"];
    if (!g) {
      main.append(c.el);
      continue;
    }
    if (!groups.has(g)) groups.set(g, h("div", { class: "fields" }));
    groups.get(g).append(c.el);
  }
  for (const [g, body] of groups) {
    main.append(h("details", { class: "group-section", "data-testid": `group-${g}` }, h("summary", {}, capitalise(g)), body));
  }
  const err = h("p", { class: "field-error", role: "alert", hidden: true });
  const el = nested ? h("fieldset", { class: "group" }, h("legend", {}, label(key, schema, required)), help(schema), main, err) : main;
  return {
    el,
    read(errors) {
      const out = {};
      for (const [k, c] of children) {
        const v = c.read(errors);
        if (v !== undefined) out[k] = v;
      }
      return out;
    },
    find(parts) {
      if (!parts.length) return this;
      const c = children.get(parts[0]);
      return c ? c.find(parts.slice(1)) || c : null;
    },
    setPath(path) {
      for (const [k, c] of children) c.setPath(path ? `${path}.${k}` : k);
    },
    setError: (msg) => showError(el, err, msg),
    focus() {
      const first = children.values().next().value;
      if (first) first.focus();
    },
  };
}

// listControl is a repeatable group: one fieldset per item, with add, remove
// and move (order can matter: the first matching rule wins).
function listControl(key, p, value, opts) {
  const max = p.maxItems ?? Infinity;
  const noun = (p.items.title || "item").toLowerCase();
  const entries = [];
  const box = h("div", { class: "list-items" });
  const add = h("button", { type: "button", class: "secondary small" }, `+ Add ${noun}`);
  const count = h("span", { class: "muted small" });
  const err = h("p", { class: "field-error", role: "alert", hidden: true });
  const el = h("fieldset", { class: "group list" }, h("legend", {}, label(key, p)), help(p), box, h("div", { class: "row" }, add, count), err);
  let path = key;

  const relabel = () => {
    entries.forEach((e, i) => {
      e.no.textContent = `${capitalise(noun)} ${i + 1}`;
      e.c.setPath(`${path}.${i}`);
      e.remove.disabled = entries.length <= (p.minItems || 0);
      e.up.disabled = i === 0;
      e.down.disabled = i === entries.length - 1;
      e.remove.dataset.testid = `remove-${opts.testPrefix}${path}.${i}`;
      e.up.dataset.testid = `up-${opts.testPrefix}${path}.${i}`;
    });
    add.disabled = entries.length >= max;
    add.dataset.testid = `add-${opts.testPrefix}${path}`;
    count.textContent = Number.isFinite(max) ? `${entries.length} of at most ${max}` : "";
  };
  const move = (e, by) => {
    const i = entries.indexOf(e);
    const j = i + by;
    if (j < 0 || j >= entries.length) return;
    entries.splice(i, 1);
    entries.splice(j, 0, e);
    if (by < 0) box.insertBefore(e.el, entries[j + 1].el);
    else entries[j - 1].el.after(e.el);
    relabel();
  };
  const addItem = (v) => {
    const c = objectControl(p.items, v || blank(p.items), opts);
    const e = {
      c,
      no: h("strong", {}),
      up: h("button", { type: "button", class: "link", "aria-label": "move up" }, "↑"),
      down: h("button", { type: "button", class: "link", "aria-label": "move down" }, "↓"),
      remove: h("button", { type: "button", class: "link danger-text" }, "Remove"),
    };
    e.el = h("div", { class: "list-item" }, h("div", { class: "row item-head" }, e.no, h("span", { class: "spacer" }), e.up, e.down, e.remove), c.el);
    e.up.onclick = () => move(e, -1);
    e.down.onclick = () => move(e, 1);
    e.remove.onclick = () => {
      entries.splice(entries.indexOf(e), 1);
      e.el.remove();
      relabel();
    };
    entries.push(e);
    box.append(e.el);
    return e;
  };
  for (const v of Array.isArray(value) ? value.slice(0, max) : []) addItem(v);
  add.onclick = () => {
    if (entries.length >= max) return;
    const e = addItem();
    relabel();
    e.c.focus();
  };
  relabel();
  return {
    el,
    read: (errors) => entries.map((e) => e.c.read(errors)),
    find(parts) {
      if (!parts.length) return this;
      const e = entries[Number(parts[0])];
      return e ? e.c.find(parts.slice(1)) || e.c : this;
    },
    setPath(next) {
      path = next;
      relabel();
    },
    setError: (msg) => showError(el, err, msg),
    focus: () => add.focus(),
  };
}

// leafControl is one input for a string, number, duration, colour, link,
// time, choice or switch.
function leafControl(key, p, value, opts, required) {
  const id = `f${++uid}`;
  const lab = h("label", { for: id }, label(key, p, required));
  const hint = h("small", { class: "hint" });
  let input;
  let get; // () => [value, problem]
  const numeric = p.type === "integer" || p.type === "number";
  const empty = () => (required ? [undefined, `Enter ${lowerTitle(key, p)}.`] : [undefined]);

  if (p.type === "boolean") {
    input = h("input", { id, type: "checkbox" });
    input.checked = value === undefined ? !!p.default : !!value;
    get = () => [input.checked];
  } else if (p.enum) {
    input = h("select", { id }, ...p.enum.map((v) => h("option", { value: v }, humanise(v))));
    input.value = value ?? p.enum[0];
    get = () => [input.value];
  } else if (numeric && p.format === "duration") {
    input = h("input", { id, type: "text", autocomplete: "off", placeholder: p.minimum < 0 ? "-1:30, 90 or 1:02:03" : "90, 1:30 or 1:02:03", value: value === undefined || value === null ? "" : formatDuration(value) });
    const explain = () => {
      const s = input.value.trim() === "" ? NaN : parseDuration(input.value);
      hint.textContent = Number.isNaN(s) ? (input.value.trim() ? "Type seconds (90), m:ss (1:30) or h:mm:ss (1:02:03)" : "") : `= ${describeDuration(s)}`;
    };
    input.addEventListener("input", explain);
    explain();
    get = () => {
      if (input.value.trim() === "") return empty();
      const s = parseDuration(input.value);
      return Number.isNaN(s) ? [undefined, `${titleOf(key, p)}: type seconds (90), m:ss (1:30) or h:mm:ss (1:02:03).`] : [s];
    };
  } else if (numeric) {
    input = h("input", { id, type: "number", inputmode: p.type === "integer" ? "numeric" : "decimal", step: p.type === "integer" ? "1" : "any", min: p.minimum, max: p.maximum, value: value ?? "" });
    get = () => {
      if (input.value.trim() === "") return input.validity.badInput ? [undefined, `${titleOf(key, p)} must be a number.`] : empty();
      const n = Number(input.value);
      if (!Number.isFinite(n)) return [undefined, `${titleOf(key, p)} must be a number.`];
      if (p.type === "integer" && !Number.isInteger(n)) return [undefined, `${titleOf(key, p)} must be a whole number.`];
      return [n];
    };
  } else if (p.format === "textarea") {
    input = h("textarea", { id, rows: 3, maxlength: p.maxLength, value: value ?? "" });
    get = () => text(input.value);
  } else if (p.format === "color") {
    input = h("input", { id, type: "color", value: /^#[0-9a-f]{6}$/i.test(value || "") ? value.toLowerCase() : "#ffffff" });
    const show = () => (hint.textContent = input.value);
    input.addEventListener("input", show);
    show();
    get = () => [input.value];
  } else if (p.format === "date-time") {
    input = h("input", { id, type: "datetime-local", step: 60, value: toLocalInput(value) });
    hint.textContent = `Your local time (${Intl.DateTimeFormat().resolvedOptions().timeZone || "this computer"})`;
    get = () => {
      if (!input.value) return empty();
      const t = new Date(input.value);
      return Number.isNaN(t.getTime()) ? [undefined, `${titleOf(key, p)}: pick a date and time.`] : [t.toISOString()];
    };
  } else {
    input = h("input", { id, type: p.format === "uri" ? "url" : "text", maxlength: p.maxLength, value: value ?? "", placeholder: p.format === "uri" ? "https://…" : null });
    get = () => text(p.format === "uri" ? input.value.trim() : input.value);
  }
  let path = key;
  function text(v) {
    if (v === "" && required) return empty();
    if (v === "" && opts.omitEmpty && opts.omitEmpty.has(path)) return [undefined];
    return [v];
  }

  const err = h("p", { class: "field-error", role: "alert", hidden: true });
  const el = p.type === "boolean"
    ? h("div", { class: "field check" }, h("label", { for: id, class: "row" }, input, label(key, p, required)), help(p), err)
    : h("div", { class: "field" }, lab, input, hint, help(p), err);
  const c = {
    el,
    input,
    read(errors) {
      const [v, problem] = get();
      if (problem) errors.push({ control: c, message: problem });
      return v;
    },
    find: (parts) => (parts.length ? null : c),
    setPath(next) {
      path = next;
      input.dataset.testid = `${opts.testPrefix}${next}`;
    },
    setError: (msg) => showError(el, err, msg, input),
    focus: () => input.focus(),
  };
  input.addEventListener("input", () => c.setError(""));
  c.setPath(key);
  return c;
}

// linesControl is a list of short values, one per line.
function linesControl(key, p, value, opts, required) {
  const id = `f${++uid}`;
  const max = p.maxItems ?? Infinity;
  const input = h("textarea", { id, rows: 3, value: Array.isArray(value) ? value.join("\n") : "" });
  const err = h("p", { class: "field-error", role: "alert", hidden: true });
  const note = `One per line${p.minItems ? `, at least ${p.minItems}` : ""}${Number.isFinite(max) ? `, at most ${max}` : ""}.`;
  const el = h("div", { class: "field" }, h("label", { for: id }, label(key, p, required)), input, h("small", { class: "hint" }, note), help(p), err);
  const c = {
    el,
    read(errors) {
      let items = input.value.split("\n").map((s) => s.trim()).filter(Boolean);
      if (p.items.type !== "string") items = items.map(Number);
      if (items.length > max) errors.push({ control: c, message: `${titleOf(key, p)}: at most ${max} lines (you have ${items.length}).` });
      else if (p.minItems && items.length < p.minItems) errors.push({ control: c, message: `${titleOf(key, p)}: at least ${p.minItems} lines.` });
      else if (items.some((n) => typeof n === "number" && !Number.isFinite(n))) errors.push({ control: c, message: `${titleOf(key, p)}: one number per line.` });
      return items;
    },
    find: (parts) => (parts.length ? null : c),
    setPath: (path) => (input.dataset.testid = `${opts.testPrefix}${path}`),
    setError: (msg) => showError(el, err, msg, input),
    focus: () => input.focus(),
  };
  input.addEventListener("input", () => c.setError(""));
  c.setPath(key);
  return c;
}

// choicesControl is a set picked from a list (an array of enum values): one
// checkbox per value, sent in the list's order.
function choicesControl(key, p, value, opts) {
  const chosen = new Set(Array.isArray(value) ? value : []);
  const boxes = p.items.enum.map((v) => {
    const box = h("input", { type: "checkbox", value: v });
    box.checked = chosen.has(v);
    return box;
  });
  const err = h("p", { class: "field-error", role: "alert", hidden: true });
  const el = h("fieldset", { class: "group choices" }, h("legend", {}, label(key, p)), help(p),
    h("div", { class: "choice-list" }, ...boxes.map((b) => h("label", { class: "row choice" }, b, humanise(b.value)))), err);
  const c = {
    el,
    read(errors) {
      const out = boxes.filter((b) => b.checked).map((b) => b.value);
      if (p.minItems && out.length < p.minItems) errors.push({ control: c, message: `${titleOf(key, p)}: pick at least ${p.minItems}.` });
      if (p.maxItems && out.length > p.maxItems) errors.push({ control: c, message: `${titleOf(key, p)}: pick at most ${p.maxItems}.` });
      return out;
    },
    find: (parts) => (parts.length ? null : c),
    setPath(path) {
      for (const b of boxes) b.dataset.testid = `${opts.testPrefix}${path}.${b.value}`;
    },
    setError: (msg) => showError(el, err, msg),
    focus: () => boxes[0] && boxes[0].focus(),
  };
  for (const b of boxes) b.addEventListener("change", () => c.setError(""));
  c.setPath(key);
  return c;
}

// jsonControl is the fallback for a schema this console has no control for:
// the value as JSON, so a new kind is never blocked on the console.
function jsonControl(key, p, value, opts, required) {
  const id = `f${++uid}`;
  const input = h("textarea", { id, rows: 4, class: "mono", value: value === undefined ? "" : JSON.stringify(value, null, 2) });
  const err = h("p", { class: "field-error", role: "alert", hidden: true });
  const el = h("div", { class: "field" }, h("label", { for: id }, label(key, p, required)), input, h("small", { class: "hint" }, "JSON"), help(p), err);
  const c = {
    el,
    read(errors) {
      if (!input.value.trim()) {
        if (required) errors.push({ control: c, message: `Enter ${lowerTitle(key, p)}.` });
        return undefined;
      }
      try {
        return JSON.parse(input.value);
      } catch {
        errors.push({ control: c, message: `${titleOf(key, p)} is not valid JSON.` });
        return undefined;
      }
    },
    find: (parts) => (parts.length ? null : c),
    setPath: (path) => (input.dataset.testid = `${opts.testPrefix}${path}`),
    setError: (msg) => showError(el, err, msg, input),
    focus: () => input.focus(),
  };
  c.setPath(key);
  return c;
}

function showError(wrap, err, msg, input) {
  err.textContent = msg || "";
  err.hidden = !msg;
  wrap.classList.toggle("invalid", !!msg);
  if (input) input.setAttribute("aria-invalid", msg ? "true" : "false");
}

// blank is a new list item: each property's default, first choice or empty.
function blank(schema) {
  const out = {};
  for (const [k, p] of Object.entries(schema.properties || {})) {
    if (p.default !== undefined) out[k] = p.default;
    else if (p.enum) out[k] = p.enum[0];
    else if (p.type === "string" && p.format === "color") out[k] = "#ffffff";
  }
  return out;
}

function toLocalInput(iso) {
  const t = iso ? new Date(iso) : null;
  if (!t || Number.isNaN(t.getTime())) return "";
  return new Date(t.getTime() - t.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function help(p) {
  return p.description ? h("small", { class: "help" }, p.description) : null;
}

function label(key, p, required) {
  return titleOf(key, p) + (required ? " *" : "");
}

function titleOf(key, p) {
  return p.title || humanise(key || "value");
}

function lowerTitle(key, p) {
  const t = titleOf(key, p);
  return t.charAt(0).toLowerCase() + t.slice(1);
}

function humanise(s) {
  return capitalise(String(s).replace(/_/g, " "));
}

function capitalise(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
