"""Config of routing: targets, balance, fallbacks, key pools and the routing section."""

from __future__ import annotations

import pytest

from interlingua.server.config import ConfigError, load_config_text

PROVIDERS = """
providers:
  - {name: a, format: openai_chat, base_url: "http://127.0.0.1:1/v1", api_keys: [k1, k2]}
  - {name: b, format: anthropic_messages, base_url: "http://127.0.0.1:2", api_key: k3}
"""


def load(models: str, extra: str = "") -> object:
    return load_config_text(PROVIDERS + "models:\n" + models + extra, {})


def test_targets_and_the_one_provider_form_both_load() -> None:
    cfg = load_config_text(
        PROVIDERS
        + """models:
  - {name: m, targets: [{provider: a, weight: 2}, {provider: b, upstream_model: c, priority: 1}],
     balance: least_busy, fallbacks: [old]}
  - {name: old, provider: b, upstream_model: claude}
routing: {retries: {attempts: 2}, cooldown: {failures: 5}, timeouts: {first_byte_ms: 100}}
""",
        {},
    )
    m, old = cfg.models
    assert [(t.provider, t.upstream_model, t.weight, t.priority) for t in m.all_targets] == [
        ("a", None, 2.0, 0),
        ("b", "c", 1.0, 1),
    ]
    assert [(t.provider, t.upstream_model) for t in old.all_targets] == [("b", "claude")]
    assert cfg.routing.retries.attempts == 2
    assert cfg.routing.cooldown.failures == 5
    assert [k.get_secret_value() for k in cfg.providers[0].keys] == ["k1", "k2"]
    assert [k.get_secret_value() for k in cfg.providers[1].keys] == ["k3"]


@pytest.mark.parametrize(
    ("models", "extra", "problem"),
    [
        ("  - {name: m}\n", "", "give provider (one target) or targets"),
        (
            "  - {name: m, provider: a, targets: [{provider: b}]}\n",
            "",
            "give provider (one target) or targets",
        ),
        (
            "  - {name: m, targets: [{provider: zz}]}\n",
            "",
            "models[0].targets[0].provider: unknown provider 'zz'",
        ),
        ("  - {name: m, targets: [{provider: a, weight: 0}]}\n", "", "weight"),
        (
            "  - {name: m, provider: a, fallbacks: [nope]}\n",
            "",
            "models[0].fallbacks[0]: 'nope' is not another",
        ),
        ("  - {name: m, provider: a, context_window_fallbacks: [m]}\n", "", "is not another model route"),
        ("  - {name: m, provider: a, balance: random}\n", "", "balance"),
        ("  - {name: m, targets: [{provider: a}], upstream_model: x}\n", "", "set it per target"),
        (
            "  - {name: m, provider: a}\n",
            "routing: {retries: {backoff_ms: 900, max_backoff_ms: 10}}\n",
            "max_backoff_ms",
        ),
        ("  - {name: m, provider: a}\n", "routing: {cooldown: {failures: 0}}\n", "cooldown.failures"),
        ("  - {name: m, provider: a}\n", "routing: {retry: {}}\n", "routing.retry"),
    ],
)
def test_routing_config_errors_name_the_field(models: str, extra: str, problem: str) -> None:
    with pytest.raises(ConfigError, match="line") as caught:
        load(models, extra)
    assert problem in str(caught.value)


def test_api_key_and_api_keys_are_exclusive_and_never_empty() -> None:
    base = 'providers:\n  - {name: a, format: openai_chat, base_url: "http://x/v1", %s}\nmodels: []\n'
    with pytest.raises(ConfigError, match="api_keys: give api_key or api_keys, not both"):
        load_config_text(base % "api_key: k, api_keys: [k2]", {})
    with pytest.raises(ConfigError, match="api_keys: a key is empty"):
        load_config_text(base % 'api_keys: [k1, "${UNSET:-}"]', {})
