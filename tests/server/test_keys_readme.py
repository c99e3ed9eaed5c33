"""The README's issued-keys config example is a config the gateway accepts."""

from __future__ import annotations

from pathlib import Path

from interlingua.server.config import load_config_text

README = Path(__file__).resolve().parents[2] / "README.md"


def test_keys_readme_example_loads() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("```yaml\nstore:") + len("```yaml\n")
    config = load_config_text(
        text[start : text.index("```", start)],
        {"INTERLINGUA_SECRET": "s" * 32, "INTERLINGUA_ADMIN_KEY": "a" * 32},
    )
    assert config.admin.api_key is not None
    assert [rule.model for rule in config.limits] == ["gpt-4o*", "*"]
    assert config.pricing[1].cache_write == 3.75
