// The console's REST client and its stored session.
const SESSION_KEY = "streamwidgets.session";

export function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY));
    if (s && s.token && Date.parse(s.expires_at) > Date.now() + 60000) return s;
  } catch {}
  localStorage.removeItem(SESSION_KEY);
  return null;
}

export function saveSession(s) {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
}

// redeem trades a one-time sign-in ticket for a session: {session} or {error}.
export async function redeem(ticket) {
  const res = await fetch("/auth/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ticket }) }).catch(() => null);
  if (!res) return { error: "The server cannot be reached." };
  const body = await res.json().catch(() => ({}));
  if (!res.ok) return { error: (body.error && body.error.message) || "Sign-in failed." };
  return { session: body.data };
}

// Api calls the REST API with the session's token. onUnauthorized runs on a
// 401 (an expired or revoked sign-in).
export class Api {
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  // call resolves with {ok, status, data, next, error, code} and never throws.
  async call(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }).catch(() => null);
    if (!res) return { ok: false, error: "The server cannot be reached. Check that streamwidgets is running.", code: "network" };
    const json = await res.json().catch(() => ({}));
    if (res.status === 401) {
      this.onUnauthorized();
      return { ok: false, status: 401, error: "signed out", code: "unauthorized" };
    }
    const e = json.error || {};
    return { ok: res.ok, status: res.status, data: json.data, next: json.next_cursor, error: e.message || (res.ok ? undefined : `HTTP ${res.status}`), code: e.code, field: e.field };
  }

  // all lists every widget, page by page.
  async widgets() {
    const all = [];
    let cursor = null;
    do {
      const r = await this.call("GET", `/records/stream_widgets?perPage=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      if (!r.ok) return null;
      all.push(...r.data);
      cursor = r.next;
    } while (cursor);
    return all;
  }
}
