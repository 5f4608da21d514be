// The event list: the last follows, subs, cheers, raids and tips, newest first.
export const css = `
.kind-event_list .ev-title { font-size: 1.2em; font-weight: 800; margin: 0 0 .3em; }
.kind-event_list .ev-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .2em; }
.kind-event_list .ev-item { animation: ev-in .35s ease-out; }
.kind-event_list .ev-type { color: var(--sw-accent, #9147ff); font-weight: 800; margin-right: .4em; text-transform: uppercase; font-size: .7em; }
.kind-event_list .ev-name { font-weight: 700; }
.kind-event_list .ev-amount { margin-left: .4em; opacity: .9; }
@keyframes ev-in { from { opacity: 0; transform: translateX(-1em); } to { opacity: 1; transform: none; } }
`;

const LABELS = { follow: "Follow", sub: "Sub", resub: "Resub", gift_sub: "Gift", cheer: "Cheer", raid: "Raid", tip: "Tip", donation: "Donation", redemption: "Redeem" };

export function mount(root) {
  const title = document.createElement("h2");
  title.className = "ev-title";
  const list = document.createElement("ul");
  list.className = "ev-list";
  list.dataset.testid = "event-list";
  root.append(title, list);
  let shown = null;
  const fmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  return {
    render(widget) {
      const cfg = widget.config || {};
      const t = cfg.title || "";
      if (title.textContent !== t) title.textContent = t;
      title.hidden = !t;
      if (widget.state === shown) return;
      shown = widget.state;
      const old = new Map([...list.children].map((li) => [li.dataset.id, li]));
      const items = ((widget.state && widget.state.events) || []).map((e) => old.get(e.id) || item(e, fmt));
      list.replaceChildren(...items);
    },
  };
}

function item(e, fmt) {
  const li = document.createElement("li");
  li.className = "ev-item";
  li.dataset.id = e.id;
  const type = document.createElement("span");
  type.className = "ev-type";
  type.textContent = LABELS[e.type] || e.type;
  const name = document.createElement("span");
  name.className = "ev-name";
  name.textContent = e.name;
  li.append(type, name);
  if (e.amount) {
    const amount = document.createElement("span");
    amount.className = "ev-amount";
    amount.textContent = fmt.format(e.amount);
    li.append(amount);
  }
  return li;
}
