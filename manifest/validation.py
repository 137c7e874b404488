"""Offline validation of a rendered Teams app manifest.

Two layers, both returning readable ``"path: problem"`` strings:

1. Microsoft's official JSON schema for ``MANIFEST_VERSION`` (the version Faraday targets), read from the
   copy bundled in ``node_modules/@microsoft/app-manifest`` (installed by ``npm ci``). No network: every
   ``$ref`` is resolved from the bundled files, and any other reference fails instead of being fetched.
2. Teams rules the schema does not encode (documented limits the Developer Portal / store enforce), e.g.
   bot command titles of at most 32 characters and a ``MAJOR.MINOR.PATCH`` app version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft7Validator, ValidationError, validators
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_MANIFEST_PACKAGE = REPO_ROOT / "node_modules" / "@microsoft" / "app-manifest"
TEAMS_SCHEMAS_DIR = APP_MANIFEST_PACKAGE / "build" / "json-schemas" / "teams"
SCHEMA_FILE = "MicrosoftTeams.schema.json"
OFFICIAL_SCHEMA_BASE = "https://developer.microsoft.com/en-us/json-schemas/teams"
MANIFEST_VERSION = "1.29"  # the newest 1.2x schema @microsoft/app-manifest 1.1.2 bundles; manifest.json pins it too

COMMAND_TITLE_MAX = 32
COMMAND_DESCRIPTION_MAX = 128
APP_VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")
PLACEHOLDER_PATTERN = re.compile(r"\{\{[A-Z_]+\}\}")

# The official schemas declare draft-04 but use ``const`` (draft-06) and ``if``/``then`` (draft-07);
# a plain Draft4Validator would silently ignore them (e.g. a wrong manifestVersion would pass).
TeamsSchemaValidator = validators.extend(
    Draft4Validator,
    {"const": Draft7Validator.VALIDATORS["const"], "if": Draft7Validator.VALIDATORS["if"]},
)


class SchemaNotFoundError(FileNotFoundError):
    """The bundled official schema for a manifest version is not installed."""


def official_schema_url(manifest_version: str) -> str:
    return f"{OFFICIAL_SCHEMA_BASE}/v{manifest_version}/{SCHEMA_FILE}"


def schema_path(manifest_version: str) -> Path:
    return TEAMS_SCHEMAS_DIR / f"v{manifest_version}" / SCHEMA_FILE


@cache
def _validator(manifest_version: str) -> Any:
    path = schema_path(manifest_version)
    if not path.is_file():
        raise SchemaNotFoundError(
            f"The official Teams manifest schema v{manifest_version} was not found at {path}; "
            "run `npm ci` in the repo root to install @microsoft/app-manifest."
        )
    schema = json.loads(path.read_text(encoding="utf-8-sig"))
    return TeamsSchemaValidator(schema, registry=_offline_registry(path.parent, manifest_version))


def _offline_registry(version_dir: Path, manifest_version: str) -> Registry:
    """Every bundled schema of this version under its official URL; anything else is refused, never fetched."""

    def refuse(uri: str) -> Resource:
        raise NoSuchResource(ref=uri)

    resources = [
        (
            f"{OFFICIAL_SCHEMA_BASE}/v{manifest_version}/{file.name}",
            DRAFT4.create_resource(json.loads(file.read_text(encoding="utf-8-sig"))),
        )
        for file in sorted(version_dir.glob("*.schema.json"))
    ]
    return Registry(retrieve=refuse).with_resources(resources)


def _path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def _describe(error: ValidationError) -> str:
    chosen = best_match([error])  # for anyOf/oneOf failures, the most specific sub-error
    return f"{_path(chosen.absolute_path)}: {chosen.message}"


def schema_errors(manifest: dict[str, Any], manifest_version: str = MANIFEST_VERSION) -> list[str]:
    """Errors against the bundled official schema ``manifest_version`` (its ``const`` pins manifestVersion)."""
    validator = _validator(manifest_version)
    errors = sorted(validator.iter_errors(manifest), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(error) for error in errors]


def _commands(manifest: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    bots = manifest.get("bots")
    for b, bot in enumerate(bots if isinstance(bots, list) else []):
        lists = bot.get("commandLists") if isinstance(bot, dict) else None
        for n, command_list in enumerate(lists if isinstance(lists, list) else []):
            commands = command_list.get("commands") if isinstance(command_list, dict) else None
            for c, command in enumerate(commands if isinstance(commands, list) else []):
                if isinstance(command, dict):
                    yield f"bots[{b}].commandLists[{n}].commands[{c}]", command


def _placeholders(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str) and PLACEHOLDER_PATTERN.search(value):
        yield f"{path or '(root)'}: unrendered placeholder {value!r}"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _placeholders(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _placeholders(item, f"{path}[{index}]")


def teams_rule_errors(manifest: dict[str, Any]) -> list[str]:
    """Errors for Teams limits that the JSON schema leaves out."""
    errors = list(_placeholders(manifest, ""))
    declared, version_of_manifest = manifest.get("$schema"), manifest.get("manifestVersion")
    if (isinstance(declared, str) and isinstance(version_of_manifest, str)
            and declared != official_schema_url(version_of_manifest)):
        errors.append(f"$schema: should be {official_schema_url(version_of_manifest)!r}")
    version = manifest.get("version")
    if isinstance(version, str) and not APP_VERSION_PATTERN.match(version):
        errors.append(f"version: {version!r} is not MAJOR.MINOR.PATCH (e.g. '1.0.0')")
    for path, command in _commands(manifest):
        title, description = command.get("title"), command.get("description")
        if isinstance(title, str) and len(title) > COMMAND_TITLE_MAX:
            errors.append(f"{path}.title: {title!r} is longer than {COMMAND_TITLE_MAX} characters")
        if isinstance(description, str) and len(description) > COMMAND_DESCRIPTION_MAX:
            errors.append(f"{path}.description: is longer than {COMMAND_DESCRIPTION_MAX} characters")
    return errors


def validate_manifest(manifest: dict[str, Any], manifest_version: str = MANIFEST_VERSION) -> list[str]:
    """All problems with ``manifest`` as readable ``"path: problem"`` strings; empty when it is valid.

    Raises ``SchemaNotFoundError`` if the bundled schema is not installed (``npm ci``).
    """
    return schema_errors(manifest, manifest_version) + teams_rule_errors(manifest)
