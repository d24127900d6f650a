"""The LLM: settings, the OpenAI-compatible client, prompts, and checks of what a model wrote."""
