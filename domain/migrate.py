"""Run Alembic migrations programmatically (blocking: call it before the event loop, or in a thread)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from domain.settings import REPO_ROOT


def _config(database_url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(_config(database_url), revision)
