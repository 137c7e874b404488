"""Faraday's tools: one module per tool (pydantic args model + async function + the docstring the model reads)."""
