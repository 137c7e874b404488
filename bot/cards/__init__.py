"""Adaptive Card builders (version 1.5): small typed functions returning card JSON, one module per card."""
