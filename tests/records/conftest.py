from __future__ import annotations

from tests.roster.conftest import sample  # noqa: F401 - writable copies of the roster fixtures (test_terms)
from tests.support.app_client import bot, connector  # noqa: F401 - the app over HTTP with the fake Bot Connector
from tests.widgets.conftest import district, widgets  # noqa: F401 - the hand-built district on real PostgreSQL
