"""Faraday's domain: models, services, authorization and audit. No botbuilder, no HTTP."""
