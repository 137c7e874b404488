"""Which scopes skip the install welcome: those whose manifest command lists have prompt starters (Microsoft: a bot
uses prompt starters or a welcome message, not both)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.channel.prompt_starters import has_prompt_starters, prompt_starter_scopes


def test_the_bundled_manifest_has_prompt_starters_in_every_scope() -> None:
    scopes = prompt_starter_scopes()
    assert scopes == frozenset({"personal", "team", "groupChat"})
    assert all(has_prompt_starters(scopes, kind) for kind in ("personal", "groupChat", "channel", None))
    assert not has_prompt_starters(frozenset({"personal"}), "channel")


def test_an_empty_command_list_or_no_manifest_means_every_scope_is_welcomed(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"bots": [{"commandLists": [{"scopes": ["team"], "commands": []},
                                                           {"scopes": ["groupChat"], "commands": [{"title": "x"}]}]}]}))
    assert prompt_starter_scopes(path) == frozenset({"groupChat"})
    assert prompt_starter_scopes(tmp_path / "missing.json") == frozenset()
