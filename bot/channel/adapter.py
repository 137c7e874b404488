"""The one adapter factory: the app and the standalone alert relay (``python -m bot.alert_runner``) both get their
Bot Framework adapter here, so both send with the same authentication, connector transport (one aiohttp session,
``connector_timeout_s`` per call) and reply-retry rule."""

from __future__ import annotations

from botframework.connector.auth import BotFrameworkAuthentication, ServiceClientCredentialsFactory

from bot.channel.auth import FaradayAuthentication, make_authentication
from bot.channel.retrying_adapter import RetryingCloudAdapter
from domain.settings import Settings


class FaradayAdapter(RetryingCloudAdapter):
    """The adapter with the authentication it sends with (``auth``, which the routes also use); ``close`` closes the
    connector transport."""

    def __init__(self, auth: FaradayAuthentication | BotFrameworkAuthentication) -> None:
        super().__init__(auth)
        self.auth = auth

    async def close(self) -> None:
        if isinstance(self.auth, FaradayAuthentication):
            await self.auth.close()


def make_adapter(settings: Settings, *, credentials: ServiceClientCredentialsFactory | None = None) -> FaradayAdapter:
    return FaradayAdapter(make_authentication(settings, credentials=credentials))
