"""Where the app's manifest offers prompt starters. Microsoft's Teams guidance (Create prompt suggestions): "Your bot
can either use a prompt starter or a welcome message. If your bot uses prompt starters, ensure that your bot doesn't
send a welcome message." So the install welcome is skipped in the scopes whose command lists have prompt starters
(the starters introduce Faraday there) and kept where there are none.

The manifest is read once at start-up from ``manifest/manifest.json`` (shipped in the image); without it, no scope
has prompt starters and every scope is welcomed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

MANIFEST = Path(__file__).resolve().parents[2] / "manifest" / "manifest.json"
# An activity's conversation type → the manifest scope it is in.
SCOPE_OF = {"personal": "personal", "groupChat": "groupChat", "channel": "team"}


def prompt_starter_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The manifest scopes (personal, team, groupChat) whose bot command lists hold at least one command."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.info("no manifest to read prompt starters from; every scope is welcomed")
        return frozenset()
    return frozenset(scope for bot in manifest.get("bots") or [] for lst in bot.get("commandLists") or []
                     if lst.get("commands") for scope in lst.get("scopes") or [])


def has_prompt_starters(scopes: frozenset[str], conversation_type: str | None) -> bool:
    return SCOPE_OF.get(conversation_type or "personal", "") in scopes
