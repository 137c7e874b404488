"""Faraday's Microsoft Teams app manifest: template, icons, offline validation and packaging.

``python -m manifest build`` writes ``dist/faraday-teams-app.zip`` for upload to Teams.
"""

from manifest.package import ManifestError, build_package, default_app_id, render_manifest
from manifest.validation import validate_manifest

__all__ = ["ManifestError", "build_package", "default_app_id", "render_manifest", "validate_manifest"]
