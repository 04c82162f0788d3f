"""The fake messenger: a fake Bot API (in process and over loopback HTTP), simulated users,
and a driver that runs the real application against it with no token."""

from bot.sandbox.fake_api import ApiError, ChatMessage, FakeBotAPI
from bot.sandbox.harness import SandboxBot
from bot.sandbox.transport import FakeHTTPServer, FakeRequest
from bot.sandbox.users import ButtonNotFound, SimUser, format_transcript

__all__ = [
    "ApiError", "ButtonNotFound", "ChatMessage", "FakeBotAPI", "FakeHTTPServer", "FakeRequest",
    "SandboxBot", "SimUser", "format_transcript",
]
