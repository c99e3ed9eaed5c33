"""The gateway bench's observability variants (``--variants``) and their cost table."""

from __future__ import annotations

from typing import Any

__all__ = ["VARIANTS", "build_cost"]

# --variants: the current gateway again with observability parts on, measured cell by cell
# next to the plain one (issue 10's CPU budgets). {port}: the fast upstream, which also
# answers OTLP/HTTP exports; {dir}: a temporary directory for the access log.
VARIANTS = {
    "metrics+log": "observability: {{server_timing: true, metrics: {{}}, access_log: {{path: {dir}/access.log}}}}",
    "tracing": 'observability: {{tracing: {{endpoint: "http://127.0.0.1:{port}/v1/traces", sample_ratio: 1.0}}}}',
    # The request history is on by default (the bench's config file gives the gateway a store).
    "no-history": "observability: {{history_days: 0}}",
}


def build_cost(result: dict[str, Any]) -> str:
    """CPU ms per request of every other build against ``current`` (a ``baseline VARIANT``
    build against ``baseline``), per scenario and concurrency."""
    cells = {
        (r["scenario"], r["conc"], r["build"]): r["cpu_ms_per_req"] for r in result["rows"] if "build" in r
    }
    others = sorted({b for _, _, b in cells} - {"current"})
    if not others:
        return ""
    lines = ["| scenario | conc | current | " + " | ".join(others) + " |", "|---" * (3 + len(others)) + "|"]
    for scenario, conc in sorted({(s, c) for s, c, _ in cells}):
        base = cells[(scenario, conc, "current")]
        out = []
        for b in others:
            # "baseline VARIANT" against the baseline itself: the variant's cost before the change.
            against = cells.get((scenario, conc, "baseline"), base) if b.startswith("baseline ") else base
            cpu = cells[(scenario, conc, b)]
            out.append(f"{cpu:.3f} ({(cpu / against - 1) * 100:+.0f} %)")
        lines.append(f"| {scenario} | {conc} | {base:.3f} | " + " | ".join(out) + " |")
    return "\n\nCPU ms per request against current:\n" + "\n".join(lines)
