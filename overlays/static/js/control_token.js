// The widget page's "Stream Deck / bots" card: a per-widget control token
// that runs this widget's actions over REST and nothing else.
//
// The token is a secret shown once: it lives only in the dialog that shows
// it (never in localStorage, a URL, the widget list or the record this page
// keeps) and the dialog is removed from the document when it closes.
import { h } from "./dom.js";

// consoleActions are the actions a person (or their Stream Deck) presses.
function consoleActions(kind) {
  return (kind.actions || []).filter((a) => !a.hidden && a.access !== "viewer");
}

// examplePayload fills an action's required fields with plausible values,
// so the example runs as pasted; null when the action takes no payload.
function examplePayload(spec) {
  const schema = spec.payload_schema || {};
  const props = schema.properties || {};
  const keys = schema.required && schema.required.length ? schema.required : [];
  if (!Object.keys(props).length) return null;
  const out = {};
  for (const k of keys) {
    const p = props[k] || {};
    if (Array.isArray(p.enum) && p.enum.length) out[k] = p.enum[0];
    else if (p.type === "integer" || p.type === "number") out[k] = Math.max(1, p.minimum ?? 1);
    else if (p.type === "boolean") out[k] = true;
    else if (p.type === "string") out[k] = "example";
  }
  return out;
}

const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

// curlExample is a command a streamer pastes into a terminal or a Stream
// Deck "website/API" action.
export function curlExample(rec, spec, token) {
  const url = `${location.origin}/records/stream_widgets/${encodeURIComponent(rec.id)}/actions/${encodeURIComponent(spec.name)}`;
  const payload = examplePayload(spec);
  const body = payload ? ` -H "Content-Type: application/json" -d ${shellQuote(JSON.stringify(payload))}` : "";
  return `curl -X POST -H "Authorization: Bearer ${token}"${body} ${url}`;
}

// controlTokenCard builds the card. deps: { api }. It returns { el }.
export function controlTokenCard(rec, kind, { api }) {
  const path = `/records/stream_widgets/${encodeURIComponent(rec.id)}/control_token`;
  const actions = consoleActions(kind);
  let has = !!rec.has_control_token;

  const status = h("p", { "data-testid": "control-token-status" });
  const create = h("button", { type: "button", "data-testid": "control-token-create" }, "Create control token");
  const replace = h("button", { type: "button", class: "secondary", "data-testid": "control-token-replace" }, "Replace");
  const revoke = h("button", { type: "button", class: "danger", "data-testid": "control-token-revoke" }, "Revoke");
  const error = h("p", { class: "error", role: "alert", "data-testid": "control-token-error" });
  const draw = () => {
    status.textContent = has
      ? "A control token exists. It was shown once, when it was made: if you lost it, replace it (the old one stops working at once)."
      : "No control token yet.";
    status.className = has ? "ok" : "muted";
    create.hidden = has;
    replace.hidden = revoke.hidden = !has;
  };

  const issue = async (btn) => {
    error.textContent = "";
    btn.disabled = true;
    const r = await api.call("POST", path);
    btn.disabled = false;
    if (!r.ok || !r.data || !r.data.control_token) {
      error.textContent = r.error || "No token was made.";
      return;
    }
    has = true;
    draw();
    showOnce(rec, actions, r.data.control_token, () => (has ? replace : create));
    r.data.control_token = ""; // nothing else keeps the answer; drop the secret from it too
  };
  create.onclick = () => issue(create);
  replace.onclick = () => {
    if (confirm("Replace the control token? Stream Deck buttons and bots using the current one stop working at once; paste the new one into them.")) issue(replace);
  };
  revoke.onclick = async () => {
    if (!confirm("Revoke the control token? Stream Deck buttons and bots using it stop working at once.")) return;
    error.textContent = "";
    revoke.disabled = true;
    const r = await api.call("DELETE", path);
    revoke.disabled = false;
    if (!r.ok) {
      error.textContent = r.error || "Not revoked.";
      return;
    }
    has = false;
    draw();
  };
  draw();

  const names = actions.map((a) => a.name).join(", ");
  const el = h("div", { class: "card wide", "data-testid": "control-token" },
    h("h3", {}, "Stream Deck / bots"),
    h("p", { class: "muted" }, "A control token lets a Stream Deck, a chat bot or a script press this widget's buttons over HTTP, and nothing else: it cannot read or change your other widgets or settings."),
    names ? h("p", { class: "muted small" }, "Actions: ", h("span", { class: "mono" }, names)) : null,
    status,
    h("div", { class: "row" }, create, replace, revoke),
    error);
  return { el };
}

// showOnce opens a dialog with the new token, a copy button and a ready
// example. Closing it removes it, and the token with it, from the page.
function showOnce(rec, actions, token, focusAfter) {
  const tokenBox = h("input", { readonly: "", value: token, class: "mono", "data-testid": "control-token-value", "aria-label": "control token", autocomplete: "off", spellcheck: "false" });
  const example = actions.length ? curlExample(rec, actions[0], token) : "";
  const exampleBox = example ? h("textarea", { readonly: "", rows: 4, class: "mono", "data-testid": "control-token-example", "aria-label": "example command", spellcheck: "false" }) : null;
  if (exampleBox) exampleBox.value = example;
  const copied = h("span", { class: "ok", role: "status" });
  const copyBtn = (label, box, testid) => {
    const b = h("button", { type: "button", class: "secondary small", "data-testid": testid }, label);
    b.onclick = () => copyFrom(box, copied);
    return b;
  };
  const done = h("button", { type: "button", "data-testid": "control-token-done" }, "Done, I copied it");
  const dlg = h("dialog", { class: "payload-dialog token-dialog", "data-testid": "control-token-dialog", "aria-labelledby": "ct-title" },
    h("div", { class: "token-body" },
      h("h3", { id: "ct-title" }, "Your control token"),
      h("p", { class: "warn", role: "alert" }, "Shown once. Copy it now: streamwidgets keeps only a fingerprint of it and cannot show it again. Anyone with it can press this widget's buttons."),
      h("div", { class: "url-row" }, tokenBox, h("span", { class: "row" }, copyBtn("Copy token", tokenBox, "control-token-copy"))),
      exampleBox ? h("p", { class: "muted small" }, `Try it in a terminal (it presses “${actions[0].label || actions[0].name}”). A Stream Deck web-request plugin or a chat bot sends the same request:`) : null,
      exampleBox,
      exampleBox ? h("div", { class: "row" }, copyBtn("Copy example", exampleBox, "control-token-copy-example")) : null,
      h("div", { class: "row form-foot" }, done, copied)));
  done.onclick = () => dlg.close();
  dlg.addEventListener("close", () => {
    // Forget the secret: empty the fields and take the dialog out of the document.
    tokenBox.value = "";
    if (exampleBox) exampleBox.value = "";
    dlg.remove();
    const back = focusAfter();
    if (back.isConnected) back.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  tokenBox.select();
}

async function copyFrom(box, copied) {
  try {
    await navigator.clipboard.writeText(box.value);
  } catch {
    box.select();
    document.execCommand("copy");
  }
  copied.textContent = "Copied";
  setTimeout(() => (copied.textContent = ""), 2000);
}
