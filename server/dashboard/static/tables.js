// Usage by key / model / target, key headroom and target health, from /metrics/summary.
import { meter } from "./charts.js";
import { el, ms, num, tokenTotal, usd, when } from "./dom.js";
import { table } from "./dom.js";

const usage = (first, label) => [
  { label, cell: (r) => r[first] ?? "–" },
  { label: "Requests", num: true, cell: (r) => num(r.requests) },
  { label: "Errors", num: true, cell: (r) => num(r.errors) },
  { label: "Tokens", num: true, cell: (r) => num(tokenTotal(r.tokens)) },
  { label: "Cost", num: true, cell: (r) => usd(r.cost_usd) },
  { label: "p95", num: true, cell: (r) => ms(r.latency_p95_ms) },
];

function limitRows(keys) {
  return keys.flatMap((k) => (k.limits?.length ? k.limits : [null]).map((limit) => ({ key: k, limit })));
}

function amount(kind, value) {
  return kind === "budget_usd" ? usd(value) : num(value);
}

const limitColumns = [
  { label: "Key", cell: (r) => r.key.name },
  { label: "State", cell: (r) => (r.key.enabled ? (r.key.expires_at ? `until ${when(r.key.expires_at)}` : "enabled") : "disabled") },
  { label: "Limit", cell: (r) => (r.limit ? r.limit.kind + (r.limit.model ? ` (${r.limit.model})` : "") : "no limits") },
  { label: "Used", num: true, cell: (r) => (r.limit ? `${amount(r.limit.kind, r.limit.used)} / ${amount(r.limit.kind, r.limit.limit)}` : "–") },
  { label: "Headroom", cell: (r) => (r.limit ? meter(r.limit.used, r.limit.limit) : "–") },
  { label: "Resets", cell: (r) => when(r.limit?.resets_at) },
];

const targetColumns = [
  { label: "Provider", cell: (r) => r.provider },
  { label: "Upstream model", cell: (r) => r.upstream_model },
  { label: "State", cell: (r) => el("span", { class: `state state-${r.state}` }, r.state) },
  { label: "Cooling until", cell: (r) => when(r.cooling_until) },
  { label: "Recent failures", num: true, cell: (r) => num(r.recent_failures) },
  { label: "In flight", num: true, cell: (r) => num(r.in_flight) },
  { label: "Latency", num: true, cell: (r) => ms(r.latency_ms) },
];

export function renderTables(summary) {
  table(document.getElementById("by-key"), usage("key", "Key"), summary.by_key ?? []);
  table(document.getElementById("by-model"), usage("model", "Model"), summary.by_model ?? []);
  table(document.getElementById("by-target"), usage("target", "Target"), summary.by_target ?? []);
  table(document.getElementById("limits"), limitColumns, limitRows(summary.keys ?? []), "No issued keys.");
  table(document.getElementById("targets"), targetColumns, summary.targets ?? [], "No targets configured.");
}
