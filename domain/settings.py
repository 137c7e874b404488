"""Faraday's typed settings: the one place configuration is read from the environment.

Built once in ``python -m bot`` (or a test) and passed down; nothing reads ``os.environ`` elsewhere.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class SchoolTerm(BaseModel):
    """One term of the school year in ``SCHOOL_TERMS``: ``{"name": "Fall 2026", "start": "2026-08-24", "end":
    "2026-12-18"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=120)
    start: date
    end: date

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> SchoolTerm:
        if self.end < self.start:
            raise ValueError(f"SCHOOL_TERMS: {self.name} ends before it starts")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    # --- Bot Framework / Teams channel -------------------------------------------------------
    microsoft_app_id: str = Field(default="", description="Azure Bot registration app id (empty only in dev mode)")
    microsoft_app_password: SecretStr = Field(default=SecretStr(""))
    microsoft_app_tenant_id: str = Field(default="", description="Tenant of a single-tenant bot registration")
    microsoft_app_type: str = Field(default="SingleTenant", description="SingleTenant | UserAssignedMSI")
    faraday_dev_insecure: bool = Field(
        default=False, description="Accept unauthenticated activities (local Agents Playground only, loopback only)"
    )
    allowed_tenants: list[str] = Field(default_factory=list, description="Tenant ids allowed to talk to Faraday")
    allowed_service_url_hosts: list[str] = Field(
        default_factory=lambda: ["smba.trafficmanager.net", "*.botframework.com"],
        description="Hosts the bot may send replies to; loopback is added in dev mode",
    )

    # --- HTTP server -----------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 3978

    # --- Data stores -----------------------------------------------------------------------------
    database_url: str = Field(default="", description="postgresql+asyncpg://... ; empty starts embedded PostgreSQL")
    redis_url: str = Field(default="", description="redis://... ; empty starts an embedded Valkey server")
    data_dir: Path = Field(default=REPO_ROOT / ".data", description="Where embedded servers keep their data")

    # --- Models ------------------------------------------------------------------------------
    openai_api_key: SecretStr = Field(default=SecretStr(""))
    openai_base_url: str = Field(default="", description="OpenAI-compatible endpoint (Azure, local servers)")
    openai_model: str = "gpt-4.1-mini"
    openai_timeout_s: float = 10.0
    openai_max_retries: int = 1
    agent_max_steps: int = 5
    agent_turn_deadline_s: float = 12.0
    # The informative update ("Working on it…") / typing indicator goes out only when the answer takes longer than
    # this: an answer ready sooner is itself the first visible response (one connector call fewer, no flicker).
    informative_after_s: float = Field(default=0.25, ge=0.0, le=1.0)
    # Freeze the start-up heap once warmed up (bot.process.heap): full GC passes then skip it (150 ms pauses → 5 ms).
    freeze_startup_heap: bool = True

    # --- Limits ------------------------------------------------------------------------------
    max_message_chars: int = 4000
    rate_limit_per_minute: int = Field(default=12, ge=1, description="Messages per user per minute")
    rate_limit_per_hour: int = Field(default=200, ge=1, description="Messages per user per hour")
    daily_token_budget: int = Field(default=200_000, ge=0, description="Model tokens per user per day (estimated)")
    allowed_link_hosts: list[str] = Field(
        default_factory=list, description="Hosts that links in model-written replies may point to (none by default)"
    )
    max_body_bytes: int = 256 * 1024
    # Each Bot Connector call (reply, update, proactive send) gives up after this: a hung connector must fail the
    # turn well inside Teams' 15 s re-send window, so the re-send is answered (msrest's own default is 100 s).
    connector_timeout_s: float = Field(default=5.0, gt=0.0, le=10.0)
    dedupe_ttl_s: int = 600
    knowledge_upload_hosts: list[str] = Field(
        default_factory=lambda: ["*.sharepoint.com"],
        description="Hosts an admin's uploaded document may be downloaded from (Teams' pre-authorised OneDrive/"
        "SharePoint links); loopback is added in dev mode",
    )
    knowledge_upload_max_mb: int = Field(default=20, ge=1, le=200,
                                         description="Largest PDF or Word file an admin may add (markdown/text: 2 MB)")
    knowledge_upload_max_pages: int = Field(default=500, ge=1, le=5000, description="Most pages a document may have")
    knowledge_parse_timeout_s: float = Field(default=60.0, gt=0.0, le=600.0,
                                             description="A file's parser (a child process) is stopped after this")
    knowledge_link_ttl_hours: int = Field(default=24, ge=1, le=24 * 30,
                                          description="How long a citation's link to the original file works")
    knowledge_sharepoint_sync_minutes: float = Field(
        default=0.0, ge=0.0,
        description="Sync the approved SharePoint folders this often, when Graph is configured (0: only on demand)")
    # --- Exports (domain.exports): widget tables and cards, incident reports, fitness results ---
    export_link_ttl_hours: int = Field(default=24, ge=1, le=24 * 7,
                                       description="How long an export's download link works (the file is then "
                                       "deleted); signed with ICS_LINK_SECRET")
    export_confirm_students: int = Field(
        default=100, ge=1, le=100_000,
        description="An export naming more students than this (more than three or four classes: a grade, a school) "
        "first shows its count and fields and is made only when the user confirms")
    export_upload_hosts: list[str] = Field(
        default_factory=lambda: ["*.sharepoint.com", "*.sharepoint.us", "*.microsoftpersonalcontent.com"],
        description="Hosts a Teams file-consent upload URL may point to (the user's OneDrive); loopback is added in "
        "dev mode",
    )

    # --- School defaults -----------------------------------------------------------------------
    default_time_zone: str = "America/Chicago"
    school_terms: list[SchoolTerm] = Field(
        default_factory=list,
        description="JSON list of the district's terms ({name, start, end}, ISO dates): attendance, fitness and "
        "skills are recorded only inside the current one, for classes whose term the roster doesn't give",
    )

    @property
    def offline(self) -> bool:
        """True when no OpenAI key is set: the offline planner and local embeddings are used."""
        return not self.openai_api_key.get_secret_value()

    # --- Safety alerts ---
    alert_escalation_minutes: float = 5.0
    alert_relay_poll_s: float = 1.0
    alert_relay_batch: int = 50
    alert_relay_lease_s: float = 60.0
    alert_max_attempts: int = 8
    alert_backoff_base_s: float = 1.0
    alert_tenant_share: float = Field(default=1.0, description="Share of Teams' per-tenant budget per replica")
    emergency_escalation_minutes: float = Field(
        default=3.0, description="Emergency: unanswered teachers re-pinged after this; admins told after twice this")
    faraday_relay_crash_at: str = Field(default="", description="Fault injection for crash tests only")

    # --- Pre-class safety briefs (domain.briefs) ---
    pre_class_brief_minutes: float = Field(
        default=15.0, ge=0.0, le=240.0,
        description="Minutes before each scheduled PE class its teacher gets the safety brief (0: no briefs)")
    brief_temperature_f: float | None = Field(
        default=None, ge=-60.0, le=150.0,
        description="Today's temperature (°F) for every school when staff entered none (a weather feed may set it)")
    brief_heat_f: float = Field(
        default=90.0, ge=50.0, le=130.0,
        description="From this temperature (°F, heat index or WBGT) the brief's protocol is heat illness")

    # --- Calendar (Microsoft Graph) ---
    ms_tenant_id: str = Field(default="", description="Tenant whose Outlook calendars Faraday writes (Graph mode)")
    ms_client_id: str = Field(default="", description="App registration with the Calendars.ReadWrite application "
                              "permission (EduRoster.Read.All for the roster sync, Mail.Send for messages home)")
    ms_client_secret: SecretStr = Field(default=SecretStr(""), description="Client secret (or use a certificate)")
    ms_client_certificate_path: str = Field(default="", description="PEM file with the private key and certificate")
    ms_client_certificate_thumbprint: str = Field(default="", description="SHA-1 thumbprint of that certificate")
    ms_authority_host: str = "https://login.microsoftonline.com"
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_ca_file: str = Field(default="", description="Extra CA bundle for Graph and sign-in (proxies, tests)")
    graph_timeout_s: float = 8.0
    graph_retry_budget_s: float = Field(default=6.0, description="Most time spent honouring Retry-After per call")
    ics_link_ttl_hours: int = Field(default=72, ge=1, le=24 * 90, description="How long an .ics download link works")
    ics_link_secret: SecretStr = Field(
        default=SecretStr(""), description="HMAC key for .ics links (≥16 bytes); empty = random per process"
    )
    public_base_url: str = Field(default="", description="https://bot.example.org as users reach it; for .ics links")

    # --- Messages home (domain.messages_home) ---
    messages_home_graph_mode: Literal["send", "draft"] = Field(
        default="send", description="With Graph configured: send as the teacher (sendMail) or save the message as a "
        "draft in the teacher's Outlook for them to send")
    messages_home_link_ttl_hours: int = Field(default=72, ge=1, le=24 * 30,
                                              description="How long a message's .eml download link works (no Graph)")
    school_language: str = Field(default="en", description="The language the school writes in (BCP 47); guardians "
                                 "with no recorded preferred language get this one")

    # --- Roster import and sync (domain.roster) ---
    roster_pe_pattern: str = Field(
        default=r"\b(physical\s*education|phys\.?\s*ed|p\.?\s?e\.?|gym|health|driver'?s?\s*ed(ucation)?|adapted\s+pe"
        r"|fitness|wellness|athletics)\b",
        description="Regular expression (case-insensitive) a course subject, course title or class title must match "
        "for a class to be imported (PE scope); --all-classes ignores it",
    )
    roster_district_name: str = Field(
        default="District", description="District name for imported schools when the export names none"
    )
    roster_graph_sync_minutes: float = Field(
        default=0.0, ge=0.0, description="Sync the roster from the Graph education API this often (0: only on demand)"
    )
    teams_app_catalog_id: str = Field(
        default="", description="Faraday's id in the organisation's Teams app catalog (GET /appCatalogs/teamsApps?"
        "$filter=externalId eq '<manifest id>'); with Graph configured, admins can install Faraday for unreachable "
        "staff (application permission TeamsAppInstallation.ReadWriteSelfForUser.All)"
    )
    teams_install_wait_s: float = Field(
        default=120.0, ge=0.0, description="How long the background install keeps asking Graph for an installation "
        "it has not listed yet (pauses doubling from 2 s, at most 20 s) before reporting the person"
    )
    roster_upn_domain: str = Field(
        default="", description="Sign-in domain appended to SDS usernames (no domain in the files) for Teams linking"
    )

    @field_validator("roster_pe_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"ROSTER_PE_PATTERN is not a valid regular expression: {exc}") from None
        return value

    @property
    def graph_configured(self) -> bool:
        """Graph mode needs a tenant, a client id and a secret or a certificate; otherwise the local calendar."""
        credential = self.ms_client_secret.get_secret_value() or (
            self.ms_client_certificate_path and self.ms_client_certificate_thumbprint
        )
        return bool(self.ms_tenant_id and self.ms_client_id and credential)
