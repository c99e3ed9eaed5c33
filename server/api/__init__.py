"""HTTP surfaces, one blueprint per client API: OpenAI chat, Anthropic, OpenAI Responses, Gemini, models, health."""
