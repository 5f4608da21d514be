// Watch-party rooms in the browser: the room's socket (AUTH first, one room,
// reconnects by itself) and the sync of a <video> to the room's
// authoritative playback clock. Protocol: docs/protocol.md, "Watch-party rooms".

const CLOSE_TOKEN_REVOKED = 4001;
const CLOSE_GOING_AWAY = 1001;
// ERROR codes after which retrying with the same token is pointless.
const FATAL = new Set(["auth_failed", "token_revoked", "not_member", "not_found"]);

// RoomSocket keeps one room subscribed over the service's WebSocket. Events:
// "status" {status, message}, "state" {room, playback}, "presence" {user_id,
// online}, "removed" {reason}, "fatal" {code, message}.
export class RoomSocket extends EventTarget {
  constructor(token, roomId, { url } = {}) {
    super();
    this.token = token;
    this.roomId = roomId;
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.offsets = []; // samples of server clock - local clock (ms)
    this.seq = 0; // the last event applied
    this.room = null;
    this.playback = null;
    this.pending = new Map();
    this.n = 0;
    this.attempt = 0;
    this.stopped = false;
  }

  // now is the local clock corrected to the server's (ms). The largest
  // sample has the least network delay in it.
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

  // control sends ROOM_PLAY, ROOM_PAUSE or ROOM_SEEK and resolves with the
  // ROOM_ACTION_RESPONSE ({success, code, error}).
  control(type, positionMs) {
    const requestId = `c${++this.n}`;
    const msg = { type, roomId: this.roomId, requestId };
    if (positionMs !== undefined && positionMs !== null) msg.position_ms = Math.max(0, Math.round(positionMs));
    return new Promise((resolve) => {
      if (!this._send(msg)) return resolve({ success: false, error: "not connected; reconnecting" });
      this.pending.set(requestId, resolve);
      setTimeout(() => {
        if (this.pending.delete(requestId)) resolve({ success: false, error: "no answer from the server" });
      }, 10000);
    });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _status(status, message) {
    this.status = status;
    this._emit("status", { status, message });
  }

  _open() {
    this._status(this.attempt ? "reconnecting" : "connecting");
    let fatal = null;
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
      if (msg.type === "ERROR" && FATAL.has(msg.code) && (!msg.roomId || msg.roomId === this.roomId)) fatal = msg;
      this._handle(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const resolve of this.pending.values()) resolve({ success: false, error: "connection lost" });
      this.pending.clear();
      if (this.stopped) return;
      if (fatal || ev.code === CLOSE_TOKEN_REVOKED) {
        const f = fatal || { code: "token_revoked", message: "this link was replaced" };
        this._status("closed", f.message);
        this._emit("fatal", f);
        return;
      }
      if (ev.code === CLOSE_GOING_AWAY) {
        this.attempt = 0; // a node restarting: another one serves at once
        this._status("reconnecting", "server restarting; reconnecting");
        this.retryTimer = setTimeout(() => this._open(), Math.random() * 250);
        return;
      }
      this.attempt++;
      const delay = Math.random() * Math.min(10000, 300 * 2 ** Math.min(this.attempt, 5));
      this._status("reconnecting", `connection lost; retrying in ${Math.ceil(delay / 1000)} s`);
      this.retryTimer = setTimeout(() => this._open(), delay);
    };
  }

  _send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.status !== "open") return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  _handle(msg) {
    if (typeof msg.server_ts_ms === "number") {
      this.offsets.push(msg.server_ts_ms - Date.now());
      if (this.offsets.length > 20) this.offsets.shift();
    }
    switch (msg.type) {
      case "AUTH_OK":
        this.attempt = 0;
        this._status("open");
        this.subscribing = `s${++this.n}`;
        this._send({ type: "ROOM_SUBSCRIBE", roomId: this.roomId, requestId: this.subscribing });
        return;
      case "ROOM_STATE":
        if (msg.roomId !== this.roomId) return;
        // The answer to our subscribe is a reset; anything else must be newer.
        if (msg.requestId !== this.subscribing && msg.seq <= this.seq) return;
        this.seq = msg.seq;
        this.room = msg.room;
        this.playback = { playing: msg.playing, position_ms: msg.position_ms, updated_ts_ms: msg.updated_ts_ms };
        this._emit("state", { room: this.room, playback: this.playback });
        return;
      case "ROOM_PRESENCE":
        if (msg.roomId !== this.roomId || msg.seq <= this.seq || !this.room) return;
        this.seq = msg.seq;
        for (const m of this.room.members) if (m.user_id === msg.user_id) m.online = msg.online;
        this._emit("presence", msg);
        return;
      case "ROOM_REMOVED":
        if (msg.roomId !== this.roomId) return;
        this._emit("removed", msg);
        this.stop();
        return;
      case "ROOM_ACTION_RESPONSE": {
        const resolve = this.pending.get(msg.requestId);
        if (resolve) {
          this.pending.delete(msg.requestId);
          resolve(msg);
        }
        return;
      }
    }
  }
}

// expectedMs is where playback is at server time nowMs.
export function expectedMs(p, nowMs) {
  if (!p) return 0;
  return p.playing ? p.position_ms + Math.max(0, nowMs - p.updated_ts_ms) : p.position_ms;
}

// Sync keeps a media element on the room's clock: a drift over HARD_MS is
// corrected with a seek, a smaller one over SOFT_MS by playing 5% faster or
// slower until it is gone (no visible jump).
const HARD_MS = 200;
const SOFT_MS = 30;

export class Sync extends EventTarget {
  constructor(video, clock) {
    super();
    this.video = video;
    this.clock = clock; // () => server time now (ms)
    this.playback = null;
    this.timer = setInterval(() => this.apply(), 250);
    video.addEventListener("loadedmetadata", () => this.apply());
  }

  set(playback) {
    this.playback = playback;
    this.apply();
  }

  stop() {
    clearInterval(this.timer);
    this.video.pause();
  }

  // target is where the video should be now (seconds), within its duration.
  target() {
    let s = expectedMs(this.playback, this.clock()) / 1000;
    const d = this.video.duration;
    if (Number.isFinite(d) && d > 0) s = Math.min(s, d);
    return s;
  }

  apply() {
    const v = this.video;
    const p = this.playback;
    if (!p || v.readyState < 1 || v.seeking) return;
    const want = this.target();
    if (!p.playing) {
      if (!v.paused) v.pause();
      v.playbackRate = 1;
      if (Math.abs(v.currentTime - want) > 0.05) v.currentTime = want;
      return;
    }
    if (Number.isFinite(v.duration) && want >= v.duration) {
      if (!v.paused) v.pause(); // past the end: stay on the last frame
      return;
    }
    const drift = (v.currentTime - want) * 1000;
    if (v.paused || Math.abs(drift) > HARD_MS) {
      v.playbackRate = 1;
      v.currentTime = want;
      if (v.paused) this._play();
    } else if (Math.abs(drift) > SOFT_MS) {
      v.playbackRate = drift > 0 ? 0.95 : 1.05;
    } else {
      v.playbackRate = 1;
    }
  }

  // _play starts playback; a browser that refuses sound without a click
  // gets the video muted (it stays in sync) and a "muted" event for the UI.
  _play() {
    const v = this.video;
    const started = v.play();
    if (started && started.catch) {
      started.catch((err) => {
        if (err && err.name === "NotAllowedError" && !v.muted) {
          v.muted = true;
          this.dispatchEvent(new CustomEvent("muted"));
          v.play().catch(() => {});
        }
      });
    }
  }
}
