"""Helpers shared by test modules (not fixtures: those stay in conftest.py). Fakes of external services are in
``devtools.fakes`` (bench uses them too)."""
