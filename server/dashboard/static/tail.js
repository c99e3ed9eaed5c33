// Live tail: the latest records (GET /admin/requests), then each finished request as it
// arrives (EventSource on /admin/requests/tail), filtered by the form's fields.
import { get } from "./api.js";
import { el, ms, num, tokenTotal, usd, when } from "./dom.js";

const MAX_ROWS = 200;
let source = null;
let seen = new Set();

function filters() {
  const form = new FormData(document.getElementById("tail-filters"));
  return Object.fromEntries([...form.entries()].filter(([, v]) => v !== ""));
}

function formats(record) {
  const from = record.client_format ?? "–";
  return record.upstream_format && record.upstream_format !== from ? `${from} → ${record.upstream_format}` : from;
}

function row(record) {
  const failed = record.status >= 400 || Boolean(record.error_type);
  return el("tr", { class: failed ? "failed" : null, "data-request-id": record.request_id ?? record.id },
    el("td", { "data-label": "Time" }, when(record.time)),
    el("td", { "data-label": "Key" }, record.key ?? "–"),
    el("td", { "data-label": "Model" }, record.model ?? "–"),
    el("td", { "data-label": "Target" }, record.target ? `${record.target}/${record.upstream_model ?? ""}` : "–"),
    el("td", { "data-label": "Status", class: "num" }, record.status ?? record.outcome ?? "–"),
    el("td", { "data-label": "Latency", class: "num" }, ms(record.latency_ms)),
    el("td", { "data-label": "TTFT", class: "num" }, record.stream ? ms(record.ttfb_ms) : "–"),
    el("td", { "data-label": "Tokens", class: "num" }, num(tokenTotal(record.tokens))),
    el("td", { "data-label": "Cost", class: "num" }, record.cost_usd === undefined ? "–" : usd(record.cost_usd)),
    el("td", { "data-label": "Format" }, formats(record)),
  );
}

function add(record, atTop = true) {
  const id = record.id ?? record.request_id;
  if (id !== undefined && seen.has(id)) return;
  if (id !== undefined) seen.add(id);
  const rows = document.getElementById("tail-rows");
  if (atTop) rows.prepend(row(record));
  else rows.append(row(record));
  while (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
}

function state(text) {
  document.getElementById("tail-state").textContent = text;
}

export function stopTail() {
  source?.close();
  source = null;
  state("paused");
}

export async function startTail() {
  stopTail();
  seen = new Set();
  document.getElementById("tail-rows").replaceChildren();
  const params = filters();
  const recent = await get("/admin/requests", { ...params, limit: 50 }).catch(() => null);
  // A JSON list, newest first (tolerating a {"data": [...]} page too).
  for (const record of (Array.isArray(recent) ? recent : recent?.data) ?? []) add(record, false);
  source = new EventSource(`/admin/requests/tail?${new URLSearchParams(params)}`);
  source.onopen = () => state("live");
  source.onerror = () => state("reconnecting…");
  source.onmessage = (event) => add(JSON.parse(event.data));
}

export function setupTail() {
  document.getElementById("tail-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    startTail();
  });
  document.getElementById("tail-pause").addEventListener("click", (event) => {
    if (source) {
      stopTail();
      event.target.textContent = "Resume";
    } else {
      startTail();
      event.target.textContent = "Pause";
    }
  });
}
