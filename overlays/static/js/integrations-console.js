// The console's integrations panel: connect Twitch and Spotify (the server
// runs OAuth; no token ever reaches this page), Last.fm by user name, each connection's
// status with what to do about it, and disconnect. A separate module so
// console.js stays about widgets; it only needs the header button.
import { Api, loadSession } from "./api.js";

// The OAuth providers the server connects, by service: what connecting
// brings, and what a disconnect does on their side.
const PROVIDERS = {
  twitch: { name: "Twitch", brings: "Follows, subs, cheers, raids, polls, chat and stream status now reach your widgets.",
    asked: "What Twitch will be asked for", disconnect: "Disconnect Twitch? Its access is revoked and your widgets stop receiving Twitch events.",
    gone: "Twitch disconnected and its access revoked." },
  spotify: { name: "Spotify", brings: "The song you play on Spotify now reaches your now-playing widgets.",
    asked: "What Spotify will be asked for", disconnect: "Disconnect Spotify? Your now-playing widgets stop following it.",
    gone: null }, // the server's message says how to remove the access on Spotify
};

// outcome is the banner for a provider's answer: /#integrations=<service>:<outcome>.
function outcome(service, code) {
  const p = PROVIDERS[service] || PROVIDERS.twitch;
  const n = p.name;
  return {
    connected: ["ok", `${n} is connected. ${p.brings}`],
    denied: ["warn", `You cancelled on ${n}; nothing was connected.`],
    state_mismatch: ["error", `This sign-in to ${n} was started in another browser or tab. Press Connect again here.`],
    invalid_state: ["error", `The answer from ${n} could not be verified. Press Connect again.`],
    expired: ["error", `The ${n} sign-in took longer than 10 minutes. Press Connect again.`],
    state_used: ["warn", `This ${n} sign-in was already used. If ${n} is not connected, press Connect again.`],
    exchange_failed: ["error", `${n} did not accept the sign-in (the server's ${n} application may be misconfigured).`],
    account_in_use: ["error", `That ${n} account is connected by another streamwidgets user; disconnect it there first.`],
    unavailable: ["error", "The server could not store the connection right now. Try again in a moment."],
  }[code] || ["error", `${n} connection: ${code}`];
}

const STATE_TEXT = {
  connected: "Connected", connecting: "Connecting", token_expired: "Token expired", scope_missing: "Permissions missing",
  revoked: "Access revoked", rate_limited: "Rate limited", degraded: "Partly stopped", disconnected: "Not connected",
  not_configured: "Not available on this server",
};

const css = `
#integrations-dialog { background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 14px; padding: 20px;
  width: min(720px, calc(100vw - 24px)); max-height: calc(100vh - 24px); overflow: auto; }
#integrations-dialog::backdrop { background: rgba(0, 0, 0, .6); }
#integrations-dialog .intg-head { display: flex; align-items: center; gap: 8px; margin-bottom: 12px; }
#integrations-dialog .intg-head h2 { flex: 1; }
.intg-card { background: var(--panel2); border: 1px solid var(--line); border-radius: 12px; padding: 14px 16px; margin: 12px 0; }
.intg-card h3 { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
.intg-state { font-size: 13px; font-weight: 600; padding: 2px 10px; border-radius: 20px; background: var(--panel); color: var(--muted); }
.intg-state.connected { color: var(--ok); }
.intg-state.revoked, .intg-state.scope_missing, .intg-state.degraded, .intg-state.token_expired { color: var(--bad); }
.intg-state.rate_limited, .intg-state.connecting { color: var(--warn); }
.intg-account { color: var(--muted); font-size: 14px; }
.intg-advice { margin: 6px 0; }
.intg-msg { margin: 6px 0; font-size: 14px; color: var(--muted); overflow-wrap: anywhere; }
.intg-actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 10px; align-items: center; }
.intg-actions input { width: min(240px, 100%); }
.intg-banner { padding: 8px 12px; border-radius: 8px; margin-bottom: 8px; border: 1px solid var(--line); }
.intg-banner.ok { color: var(--ok); } .intg-banner.warn { color: var(--warn); } .intg-banner.error { color: var(--bad); }
.intg-card ul { margin: 6px 0; padding-left: 20px; font-size: 14px; }
.intg-card details { margin-top: 8px; font-size: 14px; }
.intg-card summary { cursor: pointer; color: var(--muted); }
.intg-card code { font-size: 13px; }
`;

const el = (tag, props = {}, ...children) => {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") n.className = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) n.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) n.append(c.nodeType ? c : document.createTextNode(String(c)));
  return n;
};

let dialog = null;
let banner = null;
let refresh = null;
let bannerUntil = 0; // an outcome banner stays a few seconds, then the status speaks

function api() {
  const s = loadSession();
  return s ? new Api(s.token, () => location.reload()) : null;
}

function ensureDialog() {
  if (dialog) return dialog;
  // An adopted sheet: the console's CSP (style-src 'self') refuses <style>.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  banner = el("div", { class: "intg-banner", hidden: "", role: "status", "data-testid": "integrations-banner" });
  dialog = el("dialog", { id: "integrations-dialog", "data-testid": "integrations-dialog" },
    el("div", { class: "intg-head" }, el("h2", {}, "Integrations"), el("button", { class: "link", onclick: () => dialog.close() }, "Close")),
    banner,
    el("div", { id: "integrations-list" }));
  dialog.addEventListener("close", () => { clearInterval(refresh); refresh = null; });
  document.body.append(dialog);
  return dialog;
}

function showBanner(kind, text) {
  bannerUntil = Date.now() + 8000;
  banner.hidden = !text;
  banner.className = `intg-banner ${kind}`;
  banner.textContent = text || "";
}

async function open() {
  if (!api()) return;
  ensureDialog();
  if (!dialog.open) dialog.showModal();
  await render();
  clearInterval(refresh);
  refresh = setInterval(render, 5000);
}

async function render() {
  const a = api();
  if (!a) return;
  const r = await a.call("GET", "/integrations");
  const list = document.getElementById("integrations-list");
  if (Date.now() > bannerUntil) banner.hidden = true;
  if (!r.ok) {
    showBanner("error", r.error);
    return;
  }
  list.replaceChildren(...r.data.map((s) => card(a, s)));
}

function card(a, s) {
  const st = s.status || {};
  const state = st.state || "disconnected";
  const box = el("section", { class: "intg-card", "data-testid": `integration-${s.service}` },
    el("h3", {}, s.name, el("span", { class: `intg-state ${state}`, "data-testid": `integration-${s.service}-state` }, STATE_TEXT[state] || state)));
  if (st.account && (st.account.name || st.account.id)) box.append(el("div", { class: "intg-account" }, "Account: ", st.account.name || st.account.id));
  if (st.message) box.append(el("p", { class: "intg-msg" }, st.message));
  if (st.advice && state !== "connected") box.append(el("p", { class: "intg-advice" }, st.advice));
  if (st.retry_at) box.append(el("p", { class: "intg-msg" }, "Retrying at ", new Date(st.retry_at).toLocaleTimeString()));
  if (st.missing_scopes && st.missing_scopes.length) box.append(el("p", { class: "intg-msg" }, "Missing permissions: ", st.missing_scopes.join(", ")));
  const actions = el("div", { class: "intg-actions" });
  box.append(actions);
  if (PROVIDERS[s.service]) oauthActions(a, s, state, box, actions);
  if (s.service === "lastfm") lastfmActions(a, s, state, actions);
  if ((st.components || []).length) {
    box.append(el("details", {}, el("summary", {}, "Details"),
      el("ul", {}, st.components.map((c) => el("li", {}, `${c.name}: ${c.run}, ${STATE_TEXT[c.state] || c.state}`,
        c.detail ? ` — ${c.detail}` : "", c.last_error ? ` (${c.last_error})` : "", c.restarts ? ` · ${c.restarts} restarts` : ""))),
      (st.subscriptions || []).length ? el("ul", {}, st.subscriptions.map((x) => el("li", {}, `${x.type}: ${x.status}`, x.reason ? ` (${x.reason})` : ""))) : null));
  }
  return box;
}

function oauthActions(a, s, state, box, actions) {
  if (!s.configured) return;
  const p = PROVIDERS[s.service];
  if (!s.connected || ["revoked", "scope_missing"].includes(state)) {
    box.append(el("details", {}, el("summary", {}, p.asked),
      el("ul", {}, (s.scopes || []).map((sc) => el("li", {}, el("code", {}, sc.name), ` — ${sc.why}`)))));
  }
  actions.append(el("button", {
    class: s.connected && !["revoked", "scope_missing"].includes(state) ? "secondary" : "", "data-testid": `${s.service}-connect`,
    onclick: async () => {
      const r = await a.call("POST", `/integrations/${s.service}/connect`);
      if (!r.ok) return showBanner("error", r.error);
      location.assign(r.data.authorize_url); // to the provider; it comes back to /#integrations=…
    },
  }, s.connected ? "Connect again" : `Connect ${p.name}`));
  if (s.connected) {
    actions.append(el("button", {
      class: "danger", "data-testid": `${s.service}-disconnect`,
      onclick: async () => {
        if (!confirm(p.disconnect)) return;
        const r = await a.call("DELETE", `/integrations/${s.service}`);
        showBanner(r.ok ? "ok" : "error", r.ok ? (p.gone || r.data.message) : r.error);
        render();
      },
    }, "Disconnect"));
  }
}

function lastfmActions(a, s, state, actions) {
  if (!s.configured) return;
  const input = el("input", { placeholder: "Last.fm user name", "aria-label": "Last.fm user name", value: (s.status.account && s.status.account.name) || "" });
  actions.append(input, el("button", {
    onclick: async () => {
      const r = await a.call("PUT", "/integrations/lastfm", { username: input.value.trim() });
      showBanner(r.ok ? "ok" : "error", r.ok ? "Last.fm connected: your now-playing widgets follow its scrobbles." : r.error);
      render();
    },
  }, "Save"));
  if (s.connected) {
    actions.append(el("button", {
      class: "danger",
      onclick: async () => {
        const r = await a.call("DELETE", "/integrations/lastfm");
        showBanner(r.ok ? "ok" : "error", r.ok ? "Last.fm disconnected." : r.error);
        render();
      },
    }, "Disconnect"));
  }
}

// The header button mirrors the sign-out button: shown while signed in.
function wireButton() {
  const btn = document.getElementById("integrations-open");
  const signout = document.getElementById("signout");
  if (!btn || !signout) return;
  btn.addEventListener("click", open);
  const sync = () => { btn.hidden = signout.hidden; };
  new MutationObserver(sync).observe(signout, { attributes: true, attributeFilter: ["hidden"] });
  sync();
}

// Back from a provider: /#integrations=<service>:<outcome>.
function outcomeFromHash() {
  const v = new URLSearchParams(location.hash.slice(1)).get("integrations");
  if (!v) return;
  history.replaceState(null, "", location.pathname);
  const [service, code] = v.split(":");
  const [kind, text] = outcome(service, code || "");
  ensureDialog();
  showBanner(kind, text);
  open();
}

wireButton();
outcomeFromHash();
