"""Teams app manifest: official-schema validation, icons, packaging and the ``python -m manifest`` CLI."""

from __future__ import annotations

import copy
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from manifest import icons
from manifest.__main__ import main
from manifest.package import (
    MANIFEST_DIR,
    MISSING_BOT_ID,
    PACKAGE_NAME,
    ManifestError,
    build_package,
    default_app_id,
    render_manifest,
)
from manifest.validation import (
    APP_MANIFEST_PACKAGE,
    MANIFEST_VERSION,
    official_schema_url,
    schema_path,
    validate_manifest,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_ID = "0b5e9f2a-7c41-4d3e-9a8b-2f6c1d4e5a70"
APP_ID = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

needs_schemas = pytest.mark.skipif(
    not APP_MANIFEST_PACKAGE.is_dir(),
    reason="node_modules/@microsoft/app-manifest is not installed (run `npm ci`; the setup script installs it)",
)


def read_png(path: Path) -> tuple[int, int, int, list[bytes]]:
    """(width, height, channels, unfiltered rows) of an 8-bit RGB/RGBA PNG; only filter type 0 is accepted."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(kind + body)
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, color_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color_type in (2, 6)
    channels = 4 if color_type == 6 else 3
    raw, stride = zlib.decompress(idat), width * channels + 1
    assert len(raw) == stride * height
    assert all(raw[y * stride] == 0 for y in range(height)), "icons.py writes filter type 0 only"
    return width, height, channels, [raw[y * stride + 1 : (y + 1) * stride] for y in range(height)]


@pytest.fixture
def manifest() -> dict[str, Any]:
    return render_manifest(BOT_ID, app_id=APP_ID)


# --- template and official schema ---------------------------------------------------------------


@needs_schemas
def test_template_uses_the_newest_bundled_1_2x_schema() -> None:
    template = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    version = template["manifestVersion"]
    assert version == MANIFEST_VERSION
    bundled = [p.name[1:] for p in schema_path(version).parent.parent.glob("v1.2*")]
    assert version == max(bundled, key=lambda v: tuple(int(x) for x in v.split(".")))
    assert schema_path(version).is_file()
    assert template["$schema"] == official_schema_url(version)
    assert template["$schema"].startswith("https://developer.microsoft.com/en-us/json-schemas/teams/v1.2")


@needs_schemas
def test_rendered_manifest_validates_against_official_schema(manifest: dict[str, Any]) -> None:
    assert validate_manifest(manifest) == []
    bot = manifest["bots"][0]
    assert manifest["id"] == APP_ID and bot["botId"] == BOT_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsFiles"] is True and bot["isNotificationOnly"] is False
    expected = {
        "help", "find student", "log incident", "plan lesson", "widgets",
        "schedule event", "forms", "alerts status", "search protocols",
    }  # fmt: skip
    assert sorted(scope for cl in bot["commandLists"] for scope in cl["scopes"]) == ["groupChat", "personal", "team"]
    for command_list in bot["commandLists"]:
        if command_list["scopes"] != ["personal"]:
            assert {c["title"] for c in command_list["commands"]} == expected
        assert all(len(c["title"]) <= 32 and c["description"] for c in command_list["commands"])


def _command_limit() -> int:
    schema = json.loads(schema_path(MANIFEST_VERSION).read_text(encoding="utf-8-sig"))
    return int(schema["properties"]["bots"]["items"]["properties"]["commandLists"]["items"]["properties"]
               ["commands"]["maxItems"])


@needs_schemas
def test_the_personal_chat_offers_as_many_prompt_starters_as_teams_allows(manifest: dict[str, Any]) -> None:
    [personal] = [cl for cl in manifest["bots"][0]["commandLists"] if cl["scopes"] == ["personal"]]
    starters = personal["commands"]
    assert len(starters) == _command_limit() == 12  # v1.29's schema (10 before v1.25)
    assert all(c["type"] == "prompt" and c["prompt"] for c in starters)
    assert len({c["title"] for c in starters}) == len(starters)
    broken = copy.deepcopy(manifest)
    broken["bots"][0]["commandLists"][0]["commands"].append({"title": "one more", "description": "x"})
    assert any("commands" in e for e in validate_manifest(broken))


@needs_schemas
async def test_every_prompt_starter_is_understood_without_a_model(manifest: dict[str, Any]) -> None:
    """Each starter is a text command or planned to a tool by the offline planner (never "I don't know")."""
    from dataclasses import dataclass
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from agent.offline.intents import classify
    from bot.commands.briefs import briefs_command

    @dataclass
    class NoBriefs:
        briefs: None = None

    [personal] = [cl for cl in manifest["bots"][0]["commandLists"] if cl["scopes"] == ["personal"]]
    now = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
    planned = {c["prompt"]: classify(c["prompt"], [], now).name for c in personal["commands"]}
    del planned["briefs"]
    assert await briefs_command("briefs", None, NoBriefs()) is not None  # type: ignore[arg-type]
    assert planned.pop("What can you do?") == "help"
    assert planned == {
        "Log an incident": "open_form", "What is the concussion protocol?": "search_knowledge",
        "What should we change at a WBGT of 88?": "search_knowledge",
        "What are the safety risks for period 3 today?": "run_widget", "How is my period 3 class doing?": "run_widget",
        "Make 4 balanced teams for period 3": "run_widget",
        "Plan a 45 minute volleyball lesson for grade 7": "plan_lesson",
        "What's on my calendar tomorrow?": "read_calendar", "Schedule an event": "open_form",
        "Take attendance for period 3": "take_attendance",
    }
    assert planned["What's on my calendar tomorrow?"] == "read_calendar"


def test_default_app_id_is_a_deterministic_guid_of_the_bot_id() -> None:
    assert default_app_id(BOT_ID) == default_app_id(f" {BOT_ID.upper()} ")
    assert default_app_id(BOT_ID) != default_app_id(APP_ID)
    assert render_manifest(BOT_ID)["id"] == default_app_id(BOT_ID)


# --- the validator can fail ---------------------------------------------------------------------


def _broken(manifest: dict[str, Any], breakage: str) -> dict[str, Any]:
    broken = copy.deepcopy(manifest)
    commands = broken["bots"][0]["commandLists"][0]["commands"]
    if breakage == "missing botId":
        del broken["bots"][0]["botId"]
    elif breakage == "long command title":
        commands[0]["title"] = "x" * 33
    elif breakage == "wrong manifestVersion":
        broken["manifestVersion"] = "1.28"
    elif breakage == "schema URL of another version":
        broken["$schema"] = official_schema_url("1.28")
    elif breakage == "non-semver version":
        broken["version"] = "1.0"
    elif breakage == "botId not a GUID":
        broken["bots"][0]["botId"] = "{{BOT_ID}}"
    elif breakage == "unknown property":
        broken["bots"][0]["supportsTelepathy"] = True
    return broken


@needs_schemas
@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("missing botId", "bots[0]: 'botId' is a required property"),
        ("long command title", "bots[0].commandLists[0].commands[0].title: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is"),
        ("wrong manifestVersion", "manifestVersion: '1.29' was expected"),
        ("schema URL of another version", "$schema: should be 'https://developer.microsoft.com/en-us/json-schemas"),
        ("non-semver version", "version: '1.0' is not MAJOR.MINOR.PATCH"),
        ("botId not a GUID", "bots[0].botId: '{{BOT_ID}}' does not match"),
        ("unknown property", "bots[0]: Additional properties are not allowed ('supportsTelepathy'"),
    ],
)
def test_broken_manifest_produces_readable_errors(manifest: dict[str, Any], breakage: str, expected: str) -> None:
    errors = validate_manifest(_broken(manifest, breakage))
    assert any(error.startswith(expected) for error in errors), errors


@needs_schemas
def test_build_package_refuses_an_invalid_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as raised:
        build_package("not-a-guid", tmp_path)
    assert any(error.startswith("bots[0].botId:") for error in raised.value.errors)
    assert not (tmp_path / PACKAGE_NAME).exists()


# --- icons ------------------------------------------------------------------------------------------


def test_icons_have_teams_sizes() -> None:
    width, height, channels, _ = read_png(MANIFEST_DIR / "color.png")
    assert (width, height, channels) == (192, 192, 3)
    width, height, channels, _ = read_png(MANIFEST_DIR / "outline.png")
    assert (width, height, channels) == (32, 32, 4)


def test_outline_icon_is_white_on_transparent_only() -> None:
    _, _, _, rows = read_png(MANIFEST_DIR / "outline.png")
    pixels = [row[i : i + 4] for row in rows for i in range(0, len(row), 4)]
    assert all(alpha == 0 or (r, g, b) == (255, 255, 255) for r, g, b, alpha in pixels)
    assert sum(p[3] == 255 for p in pixels) > 100, "the glyph should be visible"
    assert sum(p[3] == 0 for p in pixels) > 300, "the background should be transparent"


def test_color_icon_is_brand_colour_with_a_white_glyph() -> None:
    _, _, _, rows = read_png(MANIFEST_DIR / "color.png")
    pixels = [tuple(row[i : i + 3]) for row in rows for i in range(0, len(row), 3)]
    assert pixels[0] == icons.BRAND_RGB and (255, 255, 255) in pixels
    template = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert template["accentColor"].lower() == "#{:02x}{:02x}{:02x}".format(*icons.BRAND_RGB)


def test_checked_in_icons_match_the_generator() -> None:
    assert (MANIFEST_DIR / "color.png").read_bytes() == icons.color_icon()
    assert (MANIFEST_DIR / "outline.png").read_bytes() == icons.outline_icon()


# --- package and CLI -----------------------------------------------------------------------------


@needs_schemas
def test_package_has_exactly_the_three_files_with_ids_substituted(tmp_path: Path) -> None:
    package = build_package(BOT_ID, tmp_path, app_id=APP_ID, version="2.3.4")
    assert package == tmp_path / PACKAGE_NAME
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(archive.read("manifest.json"))
        assert archive.read("color.png") == (MANIFEST_DIR / "color.png").read_bytes()
        assert archive.read("outline.png") == (MANIFEST_DIR / "outline.png").read_bytes()
    assert packaged["bots"][0]["botId"] == BOT_ID and packaged["id"] == APP_ID
    assert packaged["version"] == "2.3.4"
    assert "{{" not in json.dumps(packaged)
    assert validate_manifest(packaged) == []


@needs_schemas
def test_cli_builds_with_bot_id_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", BOT_ID)
    assert main(["build", "--out", str(tmp_path)]) == 0
    with zipfile.ZipFile(tmp_path / PACKAGE_NAME) as archive:
        packaged = json.loads(archive.read("manifest.json"))
    assert packaged["bots"][0]["botId"] == BOT_ID and packaged["id"] == default_app_id(BOT_ID)


def test_cli_fails_clearly_without_a_bot_id(tmp_path: Path) -> None:
    env = {**os.environ, "MICROSOFT_APP_ID": ""}
    result = subprocess.run(
        [sys.executable, "-m", "manifest", "build", "--out", str(tmp_path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {MISSING_BOT_ID}"
    assert not (tmp_path / PACKAGE_NAME).exists()
    with pytest.raises(ManifestError, match="No bot id given"):
        build_package("  ", tmp_path)
