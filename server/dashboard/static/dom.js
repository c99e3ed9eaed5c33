// Small DOM and formatting helpers. Text goes in as textContent, never as HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

export function num(value) {
  if (value === null || value === undefined) return "–";
  return Math.abs(value) >= 10000 ? compact.format(value) : String(Math.round(value * 100) / 100);
}

export function ms(value) {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function usd(value) {
  if (value === null || value === undefined) return "–";
  return value < 1 && value > 0 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
}

export function pct(value) {
  if (value === null || value === undefined) return "–";
  return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
}

// Token counts arrive as a number, as {input, output, ...} (summaries) or as
// {input_tokens, output_tokens, ...} (request records): input + output either way
// (reasoning tokens are counted inside output).
export function tokenTotal(tokens) {
  if (tokens === null || tokens === undefined) return null;
  if (typeof tokens === "number") return tokens;
  const part = (name) => tokens[name] ?? tokens[`${name}_tokens`] ?? 0;
  return part("input") + part("output");
}

export function when(value) {
  if (!value) return "–";
  const date = toDate(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

// Times arrive as ISO strings or Unix seconds (or milliseconds).
export function toDate(value) {
  if (typeof value === "number") return new Date(value < 1e12 ? value * 1000 : value);
  return new Date(value);
}

export function table(node, columns, rows, empty = "Nothing yet.") {
  const head = el("thead", {}, el("tr", {}, columns.map((c) => el("th", { class: c.num ? "num" : null }, c.label))));
  const body = el("tbody");
  for (const row of rows) {
    body.append(el("tr", {}, columns.map((c) => el("td", { class: c.num ? "num" : null, "data-label": c.label }, c.cell(row)))));
  }
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: columns.length, class: "muted" }, empty)));
  node.replaceChildren(head, body);
}
