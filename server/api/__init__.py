"""HTTP surfaces, one blueprint per client API: OpenAI, Anthropic, models, health."""
