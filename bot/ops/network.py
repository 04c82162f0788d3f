"""How the bot reaches the messenger: PTB's HTTPX requests, through `PROXY_URL` when set
(http, https or socks5, credentials in the URL), for every API call, for `getUpdates` and
for file downloads (PTB downloads with the bot's own request object). Each answer is
reported to the monitor: errors by HTTP status, and the time of the last contact.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError
from telegram.request import HTTPXRequest, RequestData

from bot.config import Settings
from bot.ops.monitor import Monitor


class MessengerRequest(HTTPXRequest):
    """PTB's HTTPX request that tells the monitor how each call went."""

    def __init__(self, monitor: Monitor | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.monitor = monitor

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP call, reported to the monitor."""
        try:
            status, body = await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout)
        except NetworkError:
            if self.monitor is not None:
                self.monitor.unreachable()
            raise
        if self.monitor is not None:
            self.monitor.answered(status)
        return status, body


def messenger_requests(settings: Settings, monitor: Monitor | None = None
                       ) -> tuple[MessengerRequest, MessengerRequest]:
    """The request objects for API calls (and downloads) and for getUpdates, with PTB's
    default pool sizes (256 and 1) and timeouts, through the proxy when one is set."""
    calls = MessengerRequest(monitor, connection_pool_size=256, proxy=settings.proxy_url)
    updates = MessengerRequest(monitor, connection_pool_size=1, proxy=settings.proxy_url)
    return calls, updates


def shown_proxy(url: str) -> str:
    """A proxy URL fit to print: scheme, host and port, credentials hidden."""
    parts = urlsplit(url)
    where = parts.hostname or ""
    if parts.port:
        where += f":{parts.port}"
    login = "***@" if parts.username or parts.password else ""
    return f"{parts.scheme}://{login}{where}"
