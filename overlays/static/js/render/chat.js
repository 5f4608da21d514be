// The chat box: the last messages, oldest at the top, names in their colour,
// badges as small labels, fading out after fade_after seconds if set.
// Every text goes in with textContent: chat is untrusted input.
import { parseTime } from "../runtime.js";

export const css = `
.kind-chat { justify-content: flex-end; }
.kind-chat .chat-list { list-style: none; margin: 0; padding: 0; width: 100%; display: flex; flex-direction: column; gap: .25em; }
.kind-chat .chat-line { overflow-wrap: anywhere; transition: opacity .6s ease; animation: chat-in .25s ease-out; }
.kind-chat .chat-line.faded { opacity: 0; }
.kind-chat .chat-name { font-weight: 800; margin-right: .4em; }
.kind-chat .chat-badge {
  display: inline-block; font-size: .6em; font-weight: 700; text-transform: uppercase; vertical-align: .2em;
  padding: .05em .4em; margin-right: .35em; border-radius: .3em; background: var(--sw-accent, #9147ff); color: #fff; text-shadow: none;
}
@keyframes chat-in { from { opacity: 0; transform: translateY(.5em); } to { opacity: 1; transform: none; } }
`;

export function mount(root) {
  const list = document.createElement("ul");
  list.className = "chat-list";
  list.dataset.testid = "chat-list";
  root.append(list);
  let shown = null; // the state object last drawn
  const lines = new Map(); // message id -> { li, at }
  return {
    render(widget, nowMs) {
      const cfg = widget.config || {};
      const messages = (widget.state && widget.state.messages) || [];
      if (widget.state !== shown) {
        shown = widget.state;
        const keep = new Set(messages.map((m) => m.id));
        for (const [id, line] of lines) {
          if (!keep.has(id)) {
            line.li.remove();
            lines.delete(id);
          }
        }
        for (const m of messages) {
          if (!lines.has(m.id)) lines.set(m.id, { li: line(m, cfg.show_badges !== false), at: parseTime(m.at) });
          list.append(lines.get(m.id).li); // re-append keeps server order
        }
      }
      const fade = (cfg.fade_after || 0) * 1000;
      for (const { li, at } of lines.values()) li.classList.toggle("faded", fade > 0 && nowMs - at > fade);
    },
  };
}

function line(m, badges) {
  const li = document.createElement("li");
  li.className = "chat-line";
  li.dataset.id = m.id;
  if (badges) {
    for (const b of m.badges || []) {
      const span = document.createElement("span");
      span.className = "chat-badge";
      span.textContent = b;
      li.append(span);
    }
  }
  const name = document.createElement("span");
  name.className = "chat-name";
  name.textContent = m.name;
  if (/^#[0-9a-fA-F]{6}$/.test(m.color || "")) name.style.color = m.color;
  const text = document.createElement("span");
  text.className = "chat-text";
  text.textContent = m.text;
  li.append(name, text);
  return li;
}
