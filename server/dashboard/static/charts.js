// Hand-drawn SVG line charts: one <path> per series over a time axis, no library.
import { num, toDate } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 600, H = 180, PAD = { left: 44, right: 8, top: 10, bottom: 22 };

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function scale(points, series) {
  const times = points.map((p) => toDate(p.t).getTime());
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const top = Math.max(...points.flatMap((p) => series.map((s) => s.value(p) ?? 0))) || 1;
  const x = (t) => PAD.left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  return { times, t0, t1, top, x, y };
}

function axes(root, s, format) {
  root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: "axis" }));
  root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: PAD.top, y2: PAD.top, class: "grid" }));
  root.append(svg("text", { x: PAD.left - 4, y: PAD.top + 4, "text-anchor": "end", class: "label" }, format(s.top)));
  root.append(svg("text", { x: PAD.left - 4, y: H - PAD.bottom, "text-anchor": "end", class: "label" }, "0"));
  const time = (t) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  root.append(svg("text", { x: PAD.left, y: H - 6, class: "label" }, time(s.t0)));
  root.append(svg("text", { x: W - PAD.right, y: H - 6, "text-anchor": "end", class: "label" }, time(s.t1)));
}

// series: [{label, cls, value: (point) => number}]
export function lineChart(container, points, series, format = num) {
  if (!points.length) {
    container.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "No data in this window." }));
    return;
  }
  const s = scale(points, series);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": series.map((x) => x.label).join(", ") });
  axes(root, s, format);
  for (const line of series) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${s.x(s.times[i]).toFixed(1)},${s.y(line.value(p) ?? 0).toFixed(1)}`).join("");
    root.append(svg("path", { d, class: `line ${line.cls}` }));
  }
  const legend = document.createElement("div");
  legend.className = "legend";
  for (const line of series) {
    const item = document.createElement("span");
    item.className = `key ${line.cls}`;
    item.textContent = line.label;
    legend.append(item);
  }
  container.replaceChildren(root, legend);
}

// A horizontal headroom bar: used / limit, red past 90%.
export function meter(used, limit) {
  const share = limit ? Math.min(1, (used ?? 0) / limit) : 0;
  const root = svg("svg", { viewBox: "0 0 100 8", class: "meter", role: "img", "aria-label": `${Math.round(share * 100)}% used` });
  root.append(svg("rect", { x: 0, y: 0, width: 100, height: 8, class: "meter-bg" }));
  root.append(svg("rect", { x: 0, y: 0, width: (share * 100).toFixed(1), height: 8, class: share > 0.9 ? "meter-hot" : "meter-fill" }));
  return root;
}
