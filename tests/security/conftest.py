"""Security fixtures: a local OpenID metadata + JWKS server (in a thread: botbuilder fetches keys with blocking
``requests``), token minting, one seeded database and one running app per module (the suite stays fast), the
compromised model, and a tiny knowledge corpus with an injected and an unapproved document."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from devtools.fakes.compromised_model import BagOfWordsEmbedder, CompromisedModel
from devtools.fakes.connector import FakeConnector
from tests.support.app_client import BotClient, bot_settings, start_bot
from tests.support.databases import clone_database
from tests.support.security import (
    INJECTION,
    ISSUER,
    UNLIMITED,
    Keys,
)


@pytest.fixture(scope="session")
def keys() -> Iterator[Keys]:
    from botframework.connector.auth import ChannelValidation

    state = Keys()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            port = self.server.server_address[1]
            if self.path == "/.well-known/openid-configuration":
                state.fetches += 1
                body = {"issuer": ISSUER, "jwks_uri": f"http://127.0.0.1:{port}/keys",
                        "id_token_signing_alg_values_supported": ["RS256"]}
            elif self.path == "/keys":
                body = state.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.metadata_url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    previous = ChannelValidation.open_id_metadata_endpoint
    ChannelValidation.open_id_metadata_endpoint = state.metadata_url
    yield state
    ChannelValidation.open_id_metadata_endpoint = previous
    server.shutdown()


@pytest.fixture
def fresh_key_cache() -> None:
    from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor

    JwtTokenExtractor.metadataCache.clear()


# --- databases, model, connector, app ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def module_db(postgres, seeded_template: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """One seeded database for a whole module (tests that need a pristine one use ``demo_db_url``)."""
    yield from clone_database(postgres, seeded_template)


CORPUS_FILES = {
    "safety/heat-illness-addendum.md": """---
title: Heat Illness Addendum
kind: safety
audience: all-staff
grade_band: K-12
version: 1.0
reviewed_by: District Health Services
reviewed_on: 2026-08-15
---
# Heat Illness Addendum

## Cooling a student with heat exhaustion
Move the student to shade, remove extra clothing, give cool water and fan them; call the nurse for heat exhaustion.
{injection}
""",
    "safety/unapproved-draft.md": """---
title: Draft Zorblax Drill
kind: safety
audience: all-staff
grade_band: K-12
version: 0.1
reviewed_by: Nobody Yet
reviewed_on: 2026-08-15
approved: false
---
# Draft Zorblax Drill

## Zorblax quiver procedure
During a zorblax quiver drill, every class gathers at the zorblax muster point. Zorblax zorblax quiver.
""",
    "safety/frostbite-stations.md": """---
title: Frostbite Stations
kind: safety
audience: all-staff
grade_band: K-12
version: 1.0
reviewed_by: District Health Services
reviewed_on: 2026-08-15
---
# Frostbite Stations
""",
    "curriculum/winter-fitness-unit.md": """---
title: Winter Fitness Unit
kind: curriculum
audience: pe-teachers
grade_band: 6-8
version: 1.0
reviewed_by: PE Curriculum Team
reviewed_on: 2026-08-15
---
# Winter Fitness Unit

## Frostbite awareness lesson
Frostbite blizzard thermos mitten lesson: students learn frostbite signs in a blizzard, thermos and mitten use.
""",
}
# 25 safety sections that outrank the one curriculum section for a frostbite query (filters must apply first).
CORPUS_FILES["safety/frostbite-stations.md"] += "".join(
    f"\n## Frostbite station {i}\nFrostbite blizzard thermos mitten drill {i}: frostbite blizzard thermos mitten.\n"
    for i in range(1, 26)
)


async def ingest_test_corpus(db_url: str, root: Path) -> None:
    from domain.db import make_engine, make_sessionmaker
    from knowledge.ingest import ingest

    for rel, body in CORPUS_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body.replace("{injection}", INJECTION))
    engine = make_engine(db_url, pool_size=2)
    try:
        report = await ingest(make_sessionmaker(engine), BagOfWordsEmbedder(), root)
        assert not report.errors, report.errors
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model() -> AsyncIterator[CompromisedModel]:
    server = await CompromisedModel().start()
    yield server
    await server.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake_connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(module_db: str, redis_server: str, model: CompromisedModel, fake_connector: FakeConnector,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BotClient]:
    """The real app in dev mode (no JWT), the compromised model as its OpenAI endpoint, the test corpus ingested."""
    await ingest_test_corpus(module_db, tmp_path_factory.mktemp("corpus"))
    settings = bot_settings(module_db, redis_server, openai_api_key="sk-test", openai_base_url=model.base_url,
                            **UNLIMITED)
    client = await start_bot(settings, fake_connector)
    yield client
    await client.close()
    await client.server.close()


@pytest.fixture
def reset(model: CompromisedModel, fake_connector: FakeConnector) -> None:
    """Start each test with an empty script, no received requests and no recorded replies."""
    model.script.clear()
    model.received.clear()
    fake_connector.activities.clear()


