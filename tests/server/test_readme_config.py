"""The configuration example in README.md is a config the gateway accepts."""

from __future__ import annotations

from pathlib import Path

from interlingua.server.config import load_config_text

README = Path(__file__).resolve().parents[2] / "README.md"
ENV = {
    name: "test-value"
    for name in ("GATEWAY_KEY", "OPENAI_API_KEY", "DEEPSEEK_API_KEY", "AZURE_OPENAI_API_KEY",
                 "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
}


def _readme_config() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("```yaml\nserver:") + len("```yaml\n")
    return text[start : text.index("```", start)]


def test_readme_config_example_loads_and_routes_every_format() -> None:
    config = load_config_text(_readme_config(), ENV)
    formats = {provider.format for provider in config.providers}
    assert formats == {"openai_chat", "anthropic_messages", "gemini", "bedrock_converse"}
    assert [model.name for model in config.models][:2] == ["claude-sonnet", "claude-*"]
