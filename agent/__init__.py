"""The agent: our own small loop over a model backend (OpenAI-compatible or the offline planner) and the tools."""
