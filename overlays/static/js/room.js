// The watch-party room page (/watch/ROOM_ID): join (password or invite),
// the synchronized <video>, members with presence, host controls, invites
// and the OBS link. REST for membership, the socket for playback.
import { RoomSocket, Sync } from "./room-sync.js";

const SESSION_KEY = "streamwidgets.session"; // the console's sign-in
const $ = (id) => document.getElementById(id);
const roomId = decodeURIComponent(location.pathname.split("/")[2] || "");

let session = null;
let room = null; // the latest room view
let sock = null;
let sync = null;
let myId = ""; // from the REST view's "me"

main();

function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY));
    if (s && s.token && Date.parse(s.expires_at) > Date.now() + 60000) return s;
  } catch {}
  return null;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${session.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).catch(() => null);
  if (!res) return { ok: false, error: "The server cannot be reached." };
  const json = await res.json().catch(() => ({}));
  const e = json.error || {};
  return { ok: res.ok, status: res.status, data: json.data, code: e.code, error: e.message };
}

function notice(text) {
  $("notice").textContent = text || "";
  $("notice").hidden = !text;
}

async function main() {
  session = loadSession();
  if (!session) {
    notice("Sign in first: open the manager (the link at the top left), sign in, then come back to this link.");
    return;
  }
  const r = await api("GET", `/watch-party/rooms/${encodeURIComponent(roomId)}`);
  if (r.status === 401) return notice("Your sign-in expired: sign in again in the manager.");
  if (!r.ok) return notice(r.status === 404 ? "There is no watch party at this link." : r.error);
  room = r.data;
  if (room.me && room.me.status === "joined") return enter();
  showJoin();
}

function showJoin() {
  $("join").hidden = false;
  const invited = room.me && room.me.status === "invited";
  $("join-title").textContent = room.title ? `Join “${room.title}”` : "Join the watch party";
  $("join-what").textContent = invited ? `${room.host_id} invited you.` : room.password_required ? "This room needs a password." : "";
  $("password-row").hidden = invited || !room.password_required;
  if (room.ended) {
    $("join-form").hidden = true;
    $("join-what").textContent = "This watch party has ended.";
  }
  $("join-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const password = $("join-password").value;
    const r = await api("POST", `/watch-party/rooms/${encodeURIComponent(roomId)}/join`, password ? { password } : undefined);
    $("join-password").value = "";
    if (!r.ok) {
      $("join-error").textContent =
        { wrong_password: "Wrong password.", password_required: "Enter the room's password.", rate_limited: "Too many attempts: wait a minute." }[r.code] ||
        r.error;
      return;
    }
    room = r.data;
    $("join").hidden = true;
    enter();
  };
}

function enter() {
  myId = room.me ? room.me.user_id : session.user_id || "";
  $("room").hidden = false;
  $("room-title").textContent = room.title;
  const video = $("video");
  video.src = room.media_url;
  sock = new RoomSocket(session.token, roomId);
  sync = new Sync(video, () => sock.now());
  sync.addEventListener("muted", () => ($("unmute").hidden = false));
  $("unmute").onclick = () => {
    video.muted = false;
    $("unmute").hidden = true;
  };
  sock.addEventListener("status", (ev) => {
    $("conn").dataset.status = ev.detail.status;
    $("conn").textContent = ev.detail.status === "open" ? "live" : ev.detail.status;
  });
  sock.addEventListener("state", (ev) => {
    room = ev.detail.room;
    sync.set(ev.detail.playback);
    render();
    if (room.ended) {
      notice("The host ended this watch party.");
      sync.stop();
      sock.stop();
    }
  });
  sock.addEventListener("presence", () => renderMembers());
  sock.addEventListener("removed", () => {
    sync.stop();
    notice("You left this watch party.");
  });
  sock.addEventListener("fatal", (ev) => {
    sync.stop();
    notice(ev.detail.code === "not_member" ? "You are not in this room any more." : ev.detail.message);
  });
  sock.start();
  wireControls(video);
  // For tests and the curious: where the video is, read in the same instant.
  window.__room = {
    sample: () => ({ pos: video.currentTime * 1000, at: performance.timeOrigin + performance.now(), playing: !video.paused, rate: video.playbackRate }),
    playback: () => sock.playback,
  };
}

function me() {
  return room && room.members.find((m) => m.user_id === myId);
}

function canControl() {
  const m = me();
  if (!m || m.status !== "joined") return false;
  return m.role === "host" || m.role === "co_host" || room.policy === "everyone";
}

function render() {
  const m = me();
  const control = canControl();
  for (const id of ["play", "back10", "fwd10", "seek"]) $(id).disabled = !control || room.ended;
  $("play").textContent = room.playback.playing ? "Pause" : "Play";
  $("policy").textContent = control
    ? room.policy === "everyone" ? "Everyone in the room controls playback." : "You control playback for everyone."
    : "Only the host and co-hosts control playback.";
  $("invite").hidden = !m || !(m.role === "host" || m.role === "co_host") || room.ended;
  $("host").hidden = !m || m.role !== "host" || room.ended;
  renderMembers();
}

function renderMembers() {
  const list = $("members");
  list.replaceChildren();
  const host = me() && me().role === "host" && !room.ended;
  for (const m of room.members) {
    const li = document.createElement("li");
    li.dataset.user = m.user_id;
    li.dataset.online = String(m.online);
    li.dataset.status = m.status;
    const dot = document.createElement("span");
    dot.className = `dot ${m.online ? "on" : "off"}`;
    dot.title = m.online ? "here now" : "away";
    const name = document.createElement("span");
    name.textContent = m.user_id;
    const role = document.createElement("span");
    role.className = "muted";
    role.textContent = ` ${m.role.replace("_", "-")}${m.status === "joined" ? "" : ` · ${m.status}`}`;
    li.append(dot, name, role);
    if (host && m.role !== "host") {
      const b = document.createElement("button");
      b.className = "link";
      b.textContent = m.role === "co_host" ? "make viewer" : "make co-host";
      b.onclick = () => change(`/members/${encodeURIComponent(m.user_id)}`, "PUT", { role: m.role === "co_host" ? "viewer" : "co_host" });
      li.append(b);
    }
    list.append(li);
  }
}

async function change(suffix, method = "POST", body) {
  const r = await api(method, `/watch-party/rooms/${encodeURIComponent(roomId)}${suffix}`, body);
  $("room-error").textContent = r.ok ? "" : r.error;
  return r;
}

function wireControls(video) {
  const pos = () => video.currentTime * 1000;
  const act = async (type, at) => {
    const r = await sock.control(type, at);
    $("room-error").textContent = r.success ? "" : r.error || r.code;
  };
  $("play").onclick = () => act(room.playback.playing ? "ROOM_PAUSE" : "ROOM_PLAY", pos());
  $("back10").onclick = () => act("ROOM_SEEK", Math.max(0, pos() - 10000));
  $("fwd10").onclick = () => act("ROOM_SEEK", pos() + 10000);
  $("seek").onchange = () => act("ROOM_SEEK", Number($("seek").value) * 1000);
  video.addEventListener("loadedmetadata", () => ($("seek").max = String(video.duration || 0)));
  video.addEventListener("timeupdate", () => {
    if (document.activeElement !== $("seek")) $("seek").value = String(video.currentTime);
    const s = Math.floor(video.currentTime);
    $("time").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  });
  $("invite").onsubmit = async (ev) => {
    ev.preventDefault();
    const users = $("invite-users").value.split(",").map((s) => s.trim()).filter(Boolean);
    if (!users.length) return;
    const r = await change("/invite", "POST", { user_ids: users });
    if (r.ok) $("invite-users").value = "";
  };
  $("obs").onclick = async () => {
    const r = await change("/obs_token");
    if (!r.ok) return;
    $("obs-url").hidden = false;
    $("obs-url").value = location.origin + r.data.obs_url;
    $("obs-url").select();
  };
  $("end").onclick = async () => {
    if (confirm("End this watch party for everyone?")) await change("/end");
  };
  $("leave").onclick = async () => {
    const r = await change("/leave");
    if (r.ok || r.code === "not_member") location.href = "/";
  };
}
