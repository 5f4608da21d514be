// The watch-party panel of the manager console: create a room, the invites
// inbox (join or decline), and my open rooms. A module of its own beside
// console.js; it shows while the console is signed in.
const SESSION_KEY = "streamwidgets.session";
const panel = document.getElementById("watch-party");

function session() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY));
    if (s && s.token && Date.parse(s.expires_at) > Date.now() + 60000) return s;
  } catch {}
  return null;
}

async function api(method, path, body) {
  const s = session();
  if (!s) return { ok: false, error: "signed out" };
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${s.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).catch(() => null);
  if (!res) return { ok: false, error: "The server cannot be reached." };
  const json = await res.json().catch(() => ({}));
  return { ok: res.ok, data: json.data, error: json.error && json.error.message };
}

function el(tag, { dataset, ...props } = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  Object.assign(e.dataset, dataset || {}); // dataset itself cannot be assigned
  e.append(...children);
  return e;
}

function roomLink(m) {
  return el("a", { href: `/watch/${encodeURIComponent(m.room_id)}`, textContent: m.title });
}

async function refresh() {
  if (!session()) return;
  const [inv, mine] = await Promise.all([api("GET", "/watch-party/invites"), api("GET", "/watch-party/rooms")]);
  const invites = document.getElementById("wp-invites");
  invites.replaceChildren();
  for (const m of (inv.ok && inv.data) || []) {
    const decline = el("button", { className: "link", textContent: "Decline" });
    decline.onclick = async () => {
      await api("POST", `/watch-party/invites/${encodeURIComponent(m.room_id)}/decline`);
      refresh();
    };
    const join = el("a", { href: `/watch/${encodeURIComponent(m.room_id)}`, textContent: "Join", className: "button" });
    invites.append(el("li", { dataset: { room: m.room_id } }, el("span", { textContent: `${m.title} — from ${m.host_id} ` }), join, " ", decline));
  }
  document.getElementById("wp-no-invites").hidden = invites.children.length > 0;
  const rooms = document.getElementById("wp-rooms");
  rooms.replaceChildren();
  for (const m of (mine.ok && mine.data) || []) {
    if (m.closed || m.status !== "joined") continue;
    rooms.append(el("li", { dataset: { room: m.room_id } }, roomLink(m), el("span", { className: "muted", textContent: ` ${m.role.replace("_", "-")}` })));
  }
}

function wire() {
  const form = document.getElementById("wp-create");
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    const body = { title: v("wp-title"), media_url: v("wp-media"), policy: v("wp-policy") };
    const invitees = v("wp-invitees").split(",").map((s) => s.trim()).filter(Boolean);
    if (invitees.length) body.invitees = invitees;
    const pw = document.getElementById("wp-password").value;
    if (pw) body.password = pw;
    const r = await api("POST", "/watch-party/rooms", body);
    document.getElementById("wp-password").value = "";
    document.getElementById("wp-error").textContent = r.ok ? "" : r.error;
    if (r.ok) location.href = `/watch/${encodeURIComponent(r.data.id)}`;
  };
}

// Follow the console: shown while its app is shown (signed in).
const app = document.getElementById("app");
const follow = () => {
  panel.hidden = !app || app.hidden || !session();
  if (!panel.hidden) refresh();
};
if (panel) {
  wire();
  follow();
  if (app) new MutationObserver(follow).observe(app, { attributes: true, attributeFilter: ["hidden"] });
  setInterval(() => !panel.hidden && refresh(), 30000);
}
