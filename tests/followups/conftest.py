"""Follow-up fixtures: the brief fixtures (demo district with the corpus, a rate-limited fake connector), and the fake
Graph's Teams app installation API over TLS."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from devtools.fakes.graph_teams import FakeTeamsApps
from tests.briefs.conftest import connector, full_sessions  # noqa: F401 - shared fixtures

CATALOG_ID = "b1c5353a-0000-4000-8000-00000000fa0d"  # the org catalog's id of Faraday (not the manifest id)


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[FakeTeamsApps]:
    fake = await FakeTeamsApps(tmp_path, CATALOG_ID).start()
    yield fake
    await fake.close()
