from __future__ import annotations

from tests.widgets.conftest import district, widgets  # noqa: F401 - the hand-built district on real PostgreSQL
