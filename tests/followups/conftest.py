"""Follow-up fixtures: the brief fixtures (demo district with the corpus, a rate-limited fake connector)."""

from tests.briefs.conftest import connector, full_sessions  # noqa: F401 - shared fixtures
