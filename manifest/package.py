"""Render the Teams manifest template and build the uploadable app package (a zip)."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

from manifest.validation import validate_manifest

MANIFEST_DIR = Path(__file__).resolve().parent
TEMPLATE_PATH = MANIFEST_DIR / "manifest.json"
ICON_FILES = ("color.png", "outline.png")
PACKAGE_NAME = "faraday-teams-app.zip"
BOT_ID_PLACEHOLDER = "{{BOT_ID}}"
APP_ID_PLACEHOLDER = "{{APP_ID}}"
# Fixed namespace so one bot registration always yields the same Teams app id (re-uploads update, not duplicate).
APP_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://faraday.example.com/teams-app")
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # fixed, so identical inputs give an identical zip

MISSING_BOT_ID = "No bot id given: pass --bot-id or set MICROSOFT_APP_ID to the Azure Bot app id."

__all__ = ["MISSING_BOT_ID", "ManifestError", "build_package", "default_app_id", "render_manifest", "validate_manifest"]


class ManifestError(ValueError):
    """The manifest could not be rendered or does not validate; ``errors`` lists every problem."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message if not errors else message + "\n  " + "\n  ".join(errors))
        self.errors = errors or []


def default_app_id(bot_id: str) -> str:
    """The Teams app id used when none is given: a deterministic uuid5 of the bot id."""
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id.strip().lower()))


def _substitute(value: Any, replacements: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, replacement in replacements.items():
            value = value.replace(placeholder, replacement)
        return value
    if isinstance(value, dict):
        return {key: _substitute(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, replacements) for item in value]
    return value


def render_manifest(
    bot_id: str, app_id: str | None = None, version: str | None = None, template: Path = TEMPLATE_PATH
) -> dict[str, Any]:
    """The template with the bot id, app id (default: ``default_app_id``) and optional app version filled in."""
    bot_id = bot_id.strip()
    if not bot_id:
        raise ManifestError(MISSING_BOT_ID)
    manifest = json.loads(template.read_text(encoding="utf-8"))
    rendered = _substitute(
        manifest, {BOT_ID_PLACEHOLDER: bot_id, APP_ID_PLACEHOLDER: (app_id or default_app_id(bot_id)).strip()}
    )
    if version is not None:
        rendered["version"] = version
    return rendered


def build_package(bot_id: str, out_dir: Path, app_id: str | None = None, version: str | None = None) -> Path:
    """Render, validate and zip the manifest with its icons; returns ``out_dir / "faraday-teams-app.zip"``.

    Raises ``ManifestError`` (with every problem listed) if the bot id is empty or the manifest is invalid.
    """
    manifest = render_manifest(bot_id, app_id=app_id, version=version)
    errors = validate_manifest(manifest)
    if errors:
        raise ManifestError("The rendered Teams manifest is invalid:", errors)
    out_dir.mkdir(parents=True, exist_ok=True)
    package = out_dir / PACKAGE_NAME
    files = {"manifest.json": (json.dumps(manifest, indent=2) + "\n").encode("utf-8")}
    files.update({name: (MANIFEST_DIR / name).read_bytes() for name in ICON_FILES})
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return package
