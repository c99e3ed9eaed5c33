"""The metrics feature turns a finished request context into exact counters and GenAI histograms."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from interlingua.errors import RateLimited, UpstreamError
from interlingua.server.features.metrics import MetricsFeature
from interlingua.server.observability.prom import GatewayMetrics
from interlingua.server.observability.semconv import DURATION_BUCKETS, INSTRUMENTS, TOKEN_BUCKETS
from interlingua.translate import Format

from .contexts import USAGE, finished, provider


def samples(metrics: GatewayMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(metrics: GatewayMetrics, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples(metrics).items() if n == name and wanted <= set(ls))


async def run(feature: MetricsFeature, *contexts: object) -> None:
    for ctx in contexts:
        await feature.request_start(ctx)  # type: ignore[arg-type]
        for attempt in ctx.attempts:  # type: ignore[attr-defined]
            await feature.after_attempt(ctx, attempt)  # type: ignore[arg-type]
        await feature.complete(ctx)  # type: ignore[arg-type]


async def test_metrics_token_counters_equal_reported_usage() -> None:
    m = GatewayMetrics()
    await run(MetricsFeature(m), finished(usage=USAGE), finished(usage=USAGE, stream=True))
    for kind, n in (
        ("input", 11),
        ("output", 7),
        ("cache_read", 100),
        ("cache_creation", 20),
        ("reasoning", 3),
    ):
        assert value(m, "interlingua_tokens_total", type=kind, key="team-a") == 2 * n
    # semconv: input includes cache reads and writes
    assert value(m, "gen_ai_client_token_usage_sum", gen_ai_token_type="input") == 2 * 131
    assert value(m, "gen_ai_client_token_usage_sum", gen_ai_token_type="output") == 14


async def test_metrics_requests_by_format_model_target_key_status() -> None:
    m = GatewayMetrics()
    err = UpstreamError("boom", status=503)
    await run(MetricsFeature(m), finished(usage=USAGE), finished(error=err, status=503))
    labels = {"client_format": "openai_chat", "model": "claude-x", "target": "anthropic", "key": "team-a"}
    assert value(m, "interlingua_requests_total", status="200", **labels) == 1
    assert value(m, "interlingua_requests_total", status="503", **labels) == 1
    assert value(m, "interlingua_upstream_attempts_total", outcome="error", error_type="api_error") == 1
    assert value(m, "interlingua_upstream_attempts_total", outcome="ok", error_type="") == 1
    assert value(m, "gen_ai_server_request_duration_seconds_count", error_type="api_error") == 1


async def test_metrics_failover_attempts_counted_per_outcome() -> None:
    m = GatewayMetrics()
    await run(MetricsFeature(m), finished(usage=USAGE, attempts=3))
    assert value(m, "interlingua_upstream_attempts_total", outcome="failover") == 2
    assert value(m, "interlingua_upstream_attempts_total", outcome="ok") == 1


async def test_metrics_key_label_off_leaves_key_empty() -> None:
    m = GatewayMetrics()
    await run(MetricsFeature(m, key_label=False), finished(usage=USAGE, key="secretive"))
    assert "secretive" not in m.render().decode()


async def test_metrics_unrouted_model_is_other_and_limits_counted() -> None:
    m = GatewayMetrics()
    limited = finished(routed=False, model="x" * 50, error=RateLimited("slow down", code="rpm"), status=429)
    await run(MetricsFeature(m), limited)
    assert value(m, "interlingua_requests_total", model="_OTHER", status="429") == 1
    assert value(m, "interlingua_limited_requests_total", limit="rpm") == 1
    assert "x" * 50 not in m.render().decode()


async def test_metrics_stream_ttft_tpot_and_semconv_labels() -> None:
    m = GatewayMetrics()
    upstream = provider("gem", Format.GEMINI)
    await run(MetricsFeature(m), finished(upstream=upstream, usage=USAGE, stream=True))
    labels = {
        "gen_ai_operation_name": "generate_content",
        "gen_ai_provider_name": "gcp.gemini",
        "gen_ai_request_model": "claude-x",
        "gen_ai_response_model": "claude-x-upstream",
    }
    ttft = value(m, "gen_ai_server_time_to_first_token_seconds_sum", **labels)
    assert abs(ttft - 0.211) < 1e-9  # received 100.0, attempt at 100.01, sent +1 ms, first byte +200 ms
    tpot = value(m, "gen_ai_server_time_per_output_token_seconds_sum", **labels)
    assert abs(tpot - (101.0 - 100.211) / 6) < 1e-9


async def test_metrics_in_flight_now_and_peak_survive_a_new_feature() -> None:
    m = GatewayMetrics()
    old, new = MetricsFeature(m), MetricsFeature(m)  # a reload made `new`; `old` keeps its requests
    a, b, c = finished(), finished(), finished()
    await old.request_start(a)
    await new.request_start(b)
    await new.request_start(c)
    await old.complete(a)
    assert value(m, "interlingua_requests_in_flight") == 2
    assert value(m, "interlingua_requests_in_flight_peak") == 3


async def test_metrics_reloads_counted_after_the_first_config() -> None:
    m = GatewayMetrics()
    await MetricsFeature(m).start()
    assert value(m, "interlingua_config_reloads_total") == 0
    await MetricsFeature(m).start()
    assert value(m, "interlingua_config_reloads_total") == 1


def test_semconv_table_names_and_buckets() -> None:
    assert INSTRUMENTS["token_usage"].buckets == TOKEN_BUCKETS
    assert INSTRUMENTS["duration"].buckets == DURATION_BUCKETS
    names = {i.otel_name.replace(".", "_") for i in INSTRUMENTS.values()}
    assert {i.name.removesuffix("_seconds") for i in INSTRUMENTS.values()} == names
    m = GatewayMetrics()
    text = m.render().decode()
    for instrument in INSTRUMENTS.values():
        assert f"# TYPE {instrument.name} histogram" in text


async def test_metrics_token_series_exist_at_zero_and_stay_exact() -> None:
    m = GatewayMetrics()
    await run(MetricsFeature(m), finished(usage={"input_tokens": 5, "output_tokens": 0}))
    counted = {ls: v for (n, ls), v in samples(m).items() if n == "interlingua_tokens_total"}
    assert {dict(ls)["type"]: v for ls, v in counted.items()} == {
        "input": 5,
        "output": 0,
        "cache_read": 0,
        "cache_creation": 0,
        "reasoning": 0,
    }


async def test_metrics_cached_series_follow_labels_across_a_reload_and_key_label_off() -> None:
    m = GatewayMetrics()
    before = MetricsFeature(m)
    await run(before, finished(usage=USAGE))
    after = MetricsFeature(m, key_label=False)  # a reload turned key labels off
    await run(after, finished(usage=USAGE), finished(usage=USAGE, key="team-b"))
    await run(before, finished(usage=USAGE, key="team-b"))  # a request of the old snapshot ends
    assert value(m, "interlingua_tokens_total", type="input", key="team-a") == 11
    assert value(m, "interlingua_tokens_total", type="input", key="team-b") == 11
    assert value(m, "interlingua_tokens_total", type="input", key="") == 22
    assert value(m, "interlingua_requests_total", key="") == 2


async def test_metrics_cached_genai_series_by_model_upstream_and_error() -> None:
    m = GatewayMetrics()
    gemini = provider("gem", Format.GEMINI)
    err = UpstreamError("boom", status=503)
    feature = MetricsFeature(m)
    await run(feature, finished(usage=USAGE), finished(usage=USAGE, model="other"))
    await run(feature, finished(usage=USAGE, upstream=gemini), finished(error=err, status=503))
    count = "gen_ai_server_request_duration_seconds_count"
    assert value(m, count, gen_ai_request_model="claude-x", gen_ai_provider_name="anthropic") == 2
    assert value(m, count, gen_ai_request_model="claude-x", error_type="api_error") == 1
    assert value(m, count, gen_ai_request_model="other", gen_ai_response_model="other-upstream") == 1
    assert value(m, count, gen_ai_provider_name="gcp.gemini", gen_ai_operation_name="generate_content") == 1
    usage_sum = "gen_ai_client_token_usage_sum"
    assert value(m, usage_sum, gen_ai_request_model="other", gen_ai_token_type="output") == 7
    assert value(m, usage_sum, gen_ai_provider_name="anthropic", gen_ai_token_type="input") == 2 * 131
