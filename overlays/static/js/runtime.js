// The shared runtime of overlays and the console: one WebSocket, AUTH first,
// subscriptions that survive reconnects, versioned updates, server clock.
// Protocol: docs/protocol.md.

const CLOSE_TOKEN_REVOKED = 4001;
const CLOSE_GOING_AWAY = 1001; // the server is shutting down: reconnect elsewhere now
// ERROR codes that end a session for good: retrying with the same token is pointless.
const AUTH_CODES = new Set(["auth_failed", "token_revoked", "widget_deleted"]);

// parseTime reads RFC 3339 with any number of fractional digits.
export function parseTime(s) {
  if (!s) return NaN;
  return Date.parse(String(s).replace(/(\.\d{3})\d+/, "$1"));
}

export class Connection extends EventTarget {
  constructor(token, { url } = {}) {
    super();
    this.token = token;
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.subs = new Map(); // widgetId -> { widget, listener }
    this.pending = new Map(); // requestId -> resolve
    this.offsets = []; // samples of server clock - local clock
    this.attempt = 0;
    this.seq = 0;
    this.status = "connecting";
    this.stopped = false;
  }

  // now is the local clock corrected to the server's.
  now() {
    return Date.now() + (this.offsets.length ? Math.max(...this.offsets) : 0);
  }

  start() {
    this.stopped = false;
    this._open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000);
  }

  // subscribe calls listener(msg, widget) for every message about widgetId:
  // WIDGET_INITIAL_STATE, WIDGET_STATE_UPDATE, WIDGET_CONFIG_UPDATE (widget is
  // the record with the update applied), WIDGET_DELETED (widget null), ERROR,
  // WIDGET_EVENT {event, data, version} and WIDGET_VIEWERS {obs, managers}
  // (widget unchanged).
  subscribe(widgetId, listener) {
    this.subs.set(widgetId, { widget: null, listener });
    this._send({ type: "WIDGET_SUBSCRIBE", widgetId });
  }

  unsubscribe(widgetId) {
    if (this.subs.delete(widgetId)) this._send({ type: "WIDGET_UNSUBSCRIBE", widgetId });
  }

  widget(widgetId) {
    const s = this.subs.get(widgetId);
    return s && s.widget;
  }

  // action resolves with the WIDGET_ACTION_RESPONSE.
  action(widgetId, action, payload) {
    const requestId = `a${++this.seq}`;
    const msg = { type: "WIDGET_ACTION", widgetId, action, requestId };
    if (payload) msg.payload = payload;
    return new Promise((resolve) => {
      if (!this._send(msg)) {
        resolve({ success: false, error: "not connected; retrying the connection" });
        return;
      }
      this.pending.set(requestId, resolve);
      setTimeout(() => {
        if (this.pending.delete(requestId)) resolve({ success: false, error: "no answer from the server" });
      }, 10000);
    });
  }

  // _setStatus tells listeners: detail {status, message, code?}; code is the
  // ERROR code that ended the session ("auth_failed", "widget_deleted", …).
  _setStatus(status, message, code) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: { status, message, code } }));
  }

  _open() {
    this._setStatus(this.attempt ? "reconnecting" : "connecting");
    let authFailed = null;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "AUTH", token: this.token }));
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === "ERROR" && AUTH_CODES.has(msg.code)) authFailed = msg;
      this._handle(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const resolve of this.pending.values()) resolve({ success: false, error: "connection lost" });
      this.pending.clear();
      if (this.stopped) return;
      if (ev.code === CLOSE_TOKEN_REVOKED || authFailed) {
        this._setStatus("revoked", authFailed ? authFailed.message : "token revoked", authFailed ? authFailed.code : "token_revoked");
        // A revoked link never recovers by itself; check again rarely in case the server was wrong.
        this.retryTimer = setTimeout(() => this._open(), 30000);
        return;
      }
      if (ev.code === CLOSE_GOING_AWAY) {
        // A node restarting (rolling deploy): another member serves at once.
        // A short spread keeps thousands of overlays from arriving together.
        this.attempt = 0;
        this._setStatus("reconnecting", "server restarting; reconnecting");
        this.retryTimer = setTimeout(() => this._open(), Math.random() * 250);
        return;
      }
      this.attempt++;
      const cap = Math.min(15000, 500 * 2 ** Math.min(this.attempt, 5));
      const delay = Math.random() * cap; // full jitter: many overlays must not reconnect in step
      this._setStatus("reconnecting", `connection lost; retrying in ${Math.ceil(delay / 1000)} s`);
      this.retryTimer = setTimeout(() => this._open(), delay);
    };
  }

  _send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.status !== "open") return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  _clock(serverTime) {
    const t = parseTime(serverTime);
    if (Number.isNaN(t)) return;
    this.offsets.push(t - Date.now()); // the largest sample has the least network delay in it
    if (this.offsets.length > 20) this.offsets.shift();
  }

  _handle(msg) {
    if (msg.server_time) this._clock(msg.server_time);
    switch (msg.type) {
      case "AUTH_OK":
        this.attempt = 0;
        this.session = msg.session;
        this._setStatus("open");
        for (const widgetId of this.subs.keys()) this._send({ type: "WIDGET_SUBSCRIBE", widgetId });
        return;
      case "WIDGET_ACTION_RESPONSE": {
        const resolve = this.pending.get(msg.requestId);
        if (resolve) {
          this.pending.delete(msg.requestId);
          resolve(msg);
        }
        return;
      }
    }
    const sub = msg.widgetId && this.subs.get(msg.widgetId);
    if (!sub) return;
    const w = sub.widget;
    switch (msg.type) {
      case "WIDGET_INITIAL_STATE":
        sub.widget = msg.widget; // a reset: replaces whatever we had
        break;
      case "WIDGET_STATE_UPDATE":
        if (!w || msg.version < w.version) return; // stale
        sub.widget = { ...w, state: msg.state, version: msg.version };
        break;
      case "WIDGET_CONFIG_UPDATE":
        if (!w || msg.version < w.version) return;
        sub.widget = { ...w, config: msg.config, title: msg.title, active: msg.active, version: msg.version };
        break;
      case "WIDGET_DELETED":
        this.subs.delete(msg.widgetId);
        sub.widget = null;
        break;
      case "ERROR":
      case "WIDGET_EVENT": // a discrete event of the kind, after the state it belongs to
      case "WIDGET_VIEWERS": // how many OBS views and managers watch (manager sessions only)
        break;
      default:
        return;
    }
    sub.listener(msg, sub.widget);
  }
}

// tokenFromLocation reads the widget token from #token=… (never sent to a
// server) or ?token=… (the widgets plan's form). A query token is moved into
// the fragment, so a reload keeps working without sending it again.
export function tokenFromLocation() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  const token = hash.get("token") || query.get("token");
  if (query.has("token")) {
    query.delete("token");
    const q = query.toString();
    history.replaceState(null, "", location.pathname + (q ? `?${q}` : "") + `#token=${encodeURIComponent(token)}`);
  }
  return token;
}
