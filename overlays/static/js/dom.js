// h builds an element. Children that are strings become text nodes, so data
// from the server is never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// el makes an element with a class (and a test id), for render modules that
// build their DOM once and then only change text.
export function el(tag, cls, testid) {
  const e = document.createElement(tag);
  e.className = cls;
  if (testid) e.dataset.testid = testid;
  return e;
}

// setText changes a node's text only when it differs: render runs every frame.
export function setText(node, value) {
  if (node.textContent !== value) node.textContent = value;
}
