"""Checks on an authenticated activity that botbuilder does not make: channel, tenant and serviceUrl host."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from botbuilder.schema import Activity

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def host_in(host: str, patterns: Iterable[str]) -> bool:
    """Whether ``host`` matches one of the allow-list's glob patterns (``*.sharepoint.com``)."""
    return any(fnmatch.fnmatch(host, pattern) for pattern in patterns)


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    allowed_tenants: tuple[str, ...]
    allowed_service_url_hosts: tuple[str, ...]
    channel_ids: tuple[str, ...] = ("msteams",)

    def refusal(self, activity: Activity) -> str | None:
        """Why this activity is refused, or None when it may proceed."""
        if activity.channel_id not in self.channel_ids:
            return "unsupported channel"
        if self.allowed_tenants:
            tenant = activity.conversation.tenant_id if activity.conversation else None
            channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
            tenant = tenant or (channel_data.get("tenant") or {}).get("id")
            if tenant not in self.allowed_tenants:
                return "tenant not allowed"
        host = urlsplit(activity.service_url or "").hostname or ""
        if not host_in(host, self.allowed_service_url_hosts):
            return "serviceUrl host not allowed"
        return None
