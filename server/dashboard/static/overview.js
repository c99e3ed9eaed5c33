// Overview: totals as cards, the series as charts.
import { lineChart } from "./charts.js";
import { el, ms, num, pct, tokenTotal, usd } from "./dom.js";

function card(label, value, detail = null) {
  return el("div", { class: "card" }, el("span", { class: "card-label" }, label),
    el("strong", { class: "card-value", "data-metric": label }, value), detail && el("span", { class: "muted" }, detail));
}

export function renderOverview(summary) {
  const t = summary.totals;
  const tokens = t.tokens ?? {};
  document.getElementById("cards").replaceChildren(
    card("Requests", num(t.requests)),
    card("Errors", num(t.errors), pct(t.error_rate)),
    card("Latency p50 / p95", `${ms(t.latency_ms?.p50)} / ${ms(t.latency_ms?.p95)}`),
    card("TTFT p50 / p95", `${ms(t.ttft_ms?.p50)} / ${ms(t.ttft_ms?.p95)}`),
    card("Tokens in / out", `${num(tokens.input)} / ${num(tokens.output)}`,
      `cache read ${num(tokens.cache_read)} · write ${num(tokens.cache_creation)} · reasoning ${num(tokens.reasoning)}`),
    card("Cost", usd(t.cost_usd)),
  );
  const points = summary.series ?? [];
  lineChart(document.getElementById("chart-requests"), points, [
    { label: "requests", cls: "s1", value: (p) => p.requests },
    { label: "errors", cls: "s2", value: (p) => p.errors },
  ]);
  lineChart(document.getElementById("chart-latency"), points, [
    { label: "p95 latency", cls: "s3", value: (p) => p.latency_p95_ms },
  ], ms);
  lineChart(document.getElementById("chart-tokens"), points, [
    { label: "tokens", cls: "s1", value: (p) => tokenTotal(p.tokens) },
  ]);
  lineChart(document.getElementById("chart-cost"), points, [
    { label: "cost", cls: "s4", value: (p) => p.cost_usd },
  ], usd);
}
