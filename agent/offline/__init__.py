"""The offline planner: deterministic intents, slot filling and extractive answers when no model key is set."""
