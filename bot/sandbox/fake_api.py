"""A fake Bot API server: the messenger the bot talks to in tests, the console and the demo.

`FakeBotAPI` keeps the state a real server would: simulated users and their chats, the
updates waiting for `getUpdates`, every message the bot sent (with its keyboards, edits and
documents). It answers like the real API, errors included: an HTTP status with
`{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`, and it rejects
what Telegram rejects (empty or over-long text, callback data over 64 bytes, an edit that
changes nothing, a chat that never talked to the bot, a user who blocked it).

It is transport-free and thread-safe: `transport.py` serves it in process (a PTB
`BaseRequest`) and over HTTP on loopback; `users.py` gives tests simulated people.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import SYSTEM_CLOCK, Clock

Uploads = dict[str, tuple[str, bytes]]  # form field → (file name, content)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200


class ApiError(Exception):
    """A rejected call: becomes an HTTP error response."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body the real API sends for this error."""
        body: dict[str, Any] = {
            "ok": False, "error_code": self.status, "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Failure:
    """A failure to inject into the next matching call(s)."""

    status: int
    description: str
    method: str | None = None  # None: any method but getUpdates/getMe
    retry_after: int | None = None
    count: int = 1
    chat_id: int | None = None  # None: any chat


@dataclass
class Call:
    """One call the bot made, as the server saw it."""

    method: str
    params: dict[str, Any]
    status: int
    description: str = ""
    at: float = 0.0


@dataclass
class ChatMessage:
    """A message in a chat, from the bot or from the user, with edits applied."""

    message_id: int
    chat_id: int
    from_bot: bool
    kind: str  # text, photo, document, location, contact, sticker, voice, ...
    text: str = ""
    inline_keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    reply_keyboard: list[list[dict[str, Any]]] | None = None
    remove_keyboard: bool = False
    file_name: str | None = None
    file_bytes: bytes | None = None
    edits: int = 0
    seq: int = 0  # server-wide order of the latest change (send or edit)
    raw: dict[str, Any] = field(default_factory=dict)

    def buttons(self) -> list[str]:
        """The labels of its inline buttons, row by row."""
        return [b["text"] for row in self.inline_keyboard for b in row]

    def __str__(self) -> str:
        return self.text


_JSON_FIELDS = {
    "reply_markup", "allowed_updates", "commands", "scope", "entities", "caption_entities",
    "reply_parameters", "link_preview_options", "media",
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time"}
_BOOL_FIELDS = {"show_alert", "disable_notification", "drop_pending_updates"}


def decode_params(raw: dict[str, str]) -> dict[str, Any]:
    """Turn the form fields PTB posts (all strings) back into values."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if name in _JSON_FIELDS:
            params[name] = json.loads(value)
        elif name in _INT_FIELDS:
            try:
                params[name] = int(value)
            except ValueError:
                params[name] = value
        elif name in _BOOL_FIELDS:
            params[name] = value in ("true", "True", "1")
        else:
            params[name] = value
    return params


@dataclass
class ApiSnapshot:
    """The chats of a `FakeBotAPI` at one moment (`FakeBotAPI.snapshot`)."""

    chats: dict[int, dict[str, Any]]
    messages: dict[int, list[ChatMessage]]
    files: dict[str, bytes]
    bot_seq: dict[int, int]
    last_seq: int
    next_file: int


@dataclass
class WebhookPost:
    """One post of an update to the bot's webhook, as the messenger saw it."""

    update_id: int
    url: str
    status: int  # the bot's HTTP status; 0: no answer (refused connection, timeout, lost)
    note: str = ""


class FakeBotAPI:
    """The state and rules of a fake Bot API server; every public method is thread-safe."""

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        bot_username: str = "tashilyar_test_bot",
        bot_name: str = "تسهیل‌یار",
        max_rate: int | None = None,
        reject_reply_parameters: bool = False,
        clock: Clock = SYSTEM_CLOCK,
        bale: bool = False,
    ) -> None:
        self.bot_user = {
            "id": bot_id, "is_bot": True, "first_name": bot_name, "username": bot_username,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.max_rate = max_rate
        self.reject_reply_parameters = reject_reply_parameters
        self.clock = clock  # the messenger's own clock: message dates, rate windows, outages
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)
        self._wakers: list[Callable[[], None]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._confirmed = 0
        self._skip = 0  # updates before this index are all confirmed: polls start here
        self._taken = 0
        self._seq = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        # Tap ids are unique across runs, as the messenger's are: a console started again on
        # the same database must not look like the taps its saved drafts have seen.
        self._run = secrets.token_hex(3)
        self.chats: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, list[ChatMessage]] = {}
        self.calls: list[Call] = []
        self.failures: deque[Failure] = deque()
        self.blocked: set[int] = set()
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.open_callbacks: set[str] = set()
        self.files: dict[str, bytes] = {}
        self.menu_buttons: dict[int, Any] = {}  # chat id → its menu button (setChatMenuButton)
        self._send_times: deque[float] = deque()
        self.last_seq = 0
        self.bot_seq: dict[int, int] = {}  # chat id -> seq of the bot's latest send or edit there
        self.outage_until = 0.0  # monotonic time until which every call fails with 502
        self.outage_hangs = False  # over HTTP: during the outage calls hang, then 504
        self._holds: list[Callable[[str, dict[str, Any]], bool]] = []
        self.held: list[Call] = []  # calls left unanswered by `hold`, in order
        self._released = threading.Event()
        # Webhooks: on Bale `setWebhook` takes only `url` and `getUpdates` never waits.
        self.bale = bale
        self.webhook: dict[str, Any] | None = None  # url and secret_token once set
        self.webhook_posts: list[WebhookPost] = []  # every post to the bot, in order
        self._answers_to_lose = 0

    # ----- bookkeeping shared with users.py -------------------------------------------------

    def next_seq(self) -> int:
        """A new server-wide sequence number (call with the lock held)."""
        self.last_seq = next(self._seq)
        return self.last_seq

    def new_file_id(self, prefix: str, content: bytes | None = None) -> tuple[str, str]:
        """A (file_id, file_unique_id) pair; with `content`, a file the bot may send on."""
        with self._lock:
            n = next(self._file_ids)
            file_id = f"{prefix}-file-{n:06d}"
            if content is not None:
                self.files[file_id] = content
            return file_id, f"{prefix}-u{n:06d}"

    def new_callback_id(self) -> str:
        """A callback query id."""
        return f"cbq-{self._run}-{next(self._callback_ids)}"

    def add_waker(self, waker: Callable[[], None]) -> None:
        """Call `waker` (thread-safe) whenever something changes."""
        with self._lock:
            self._wakers.append(waker)

    def remove_waker(self, waker: Callable[[], None]) -> None:
        """Stop calling `waker`."""
        with self._lock:
            if waker in self._wakers:
                self._wakers.remove(waker)

    def _notify(self) -> None:
        self.changed.notify_all()
        for waker in list(self._wakers):
            waker()

    def register_chat(self, chat: dict[str, Any]) -> None:
        """Remember a chat the bot may now write to."""
        with self._lock:
            self.chats.setdefault(chat["id"], chat)
            self.messages.setdefault(chat["id"], [])

    def push_update(self, update: dict[str, Any], message: ChatMessage | None = None) -> int:
        """Queue an update for the bot (and record the user's own message); return its id."""
        with self._lock:
            update_id = next(self._update_ids)
            update["update_id"] = update_id
            self._updates.append(update)
            if message is not None:
                message.seq = self.next_seq()
                self.messages.setdefault(message.chat_id, []).append(message)
            self._notify()
            return update_id

    def queued_update(self, index: int) -> dict[str, Any]:
        """An update as queued (index -1: the newest), to see what an action produced."""
        with self._lock:
            return self._updates[index]

    def redeliver(self, update_id: int) -> None:
        """Queue an update again with the same id, as a flaky network makes the server do."""
        with self._lock:
            original = next(u for u in self._updates if u["update_id"] == update_id)
            self._updates.append(json.loads(json.dumps(original)))
            self._notify()

    def next_message_id(self, chat_id: int) -> int:
        """The next message id in a chat (ids are per chat, as on Telegram)."""
        with self._lock:
            return sum(1 for m in self.messages.setdefault(chat_id, []) if m.kind != "tap") + 1

    # ----- saving and restoring a moment of the chats --------------------------------------

    def snapshot(self) -> ApiSnapshot:
        """The chats, files and sequence as they are now, to `restore` later (update ids and
        callback ids run on: the messenger never reuses one)."""
        with self._lock:
            return ApiSnapshot(copy.deepcopy(self.chats), copy.deepcopy(self.messages),
                               dict(self.files), dict(self.bot_seq), self.last_seq,
                               next(self._file_ids))

    def restore(self, saved: ApiSnapshot) -> None:
        """Put the chats back as `snapshot` saw them; forget queued updates, calls, failures
        and open taps made since."""
        with self._lock:
            self.chats = copy.deepcopy(saved.chats)
            self.messages = copy.deepcopy(saved.messages)
            self.files = dict(saved.files)
            self.bot_seq = dict(saved.bot_seq)
            self.last_seq = saved.last_seq
            self._seq = itertools.count(saved.last_seq + 1)
            self._file_ids = itertools.count(max(saved.next_file, next(self._file_ids)))
            self._updates.clear()
            self._taken = self._skip = 0
            self.calls.clear()
            self.failures.clear()
            self.open_callbacks.clear()
            self.callback_answers.clear()

    # ----- for the in-process driver --------------------------------------------------------

    def take_updates(self) -> list[dict[str, Any]]:
        """Hand out every update not yet handed out (the in-process driver's getUpdates)."""
        with self._lock:
            fresh = self._updates[self._taken:]
            self._taken = len(self._updates)
            return fresh

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        with self._lock:
            return sum(1 for u in self._updates if u["update_id"] > self._confirmed)

    # ----- failure injection ----------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        description: str = "Bad Gateway",
        *,
        method: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `count` matching calls (of `method`, to `chat_id`) fail."""
        with self._lock:
            self.failures.append(
                Failure(status, description, method, retry_after, count, chat_id))

    def outage(self, seconds: float, *, hang: bool = False) -> None:
        """The server is down for a while: every call (getUpdates included) answers 502, or
        with `hang` (over HTTP) gets no answer until the outage is over, as a dead network
        link behaves: the bot's own timeouts run out first."""
        with self._lock:
            self.outage_until = self.clock.monotonic() + seconds
            self.outage_hangs = hang
            self._notify()

    def hold(self, matches: Callable[[str, dict[str, Any]], bool]) -> None:
        """Over HTTP: the next call for which `matches(method, params)` is true is neither
        performed nor answered until `release()` (its reply lost on the way); it is listed
        in `held`. A moment to kill the bot in, after it committed and before the person
        saw the answer."""
        with self._lock:
            self._holds.append(matches)
            self._released.clear()

    def release(self) -> None:
        """Let held calls go (they are answered 504, never performed)."""
        self._released.set()

    def stall(self, method: str, params: dict[str, Any]) -> bool:
        """For the HTTP server, before a call: whether it goes unanswered for now (held, or
        a hanging outage); if so, wait until that ends. The call is not performed."""
        with self._lock:
            hold = next((h for h in self._holds if h(method, params)), None)
            if hold is not None:
                self._holds.remove(hold)
                self.held.append(Call(method, params, 0, "held", self._stamp()))
                self._notify()
            hanging = self.outage_hangs and self.clock.monotonic() < self.outage_until
            if hanging:  # listed, so a test can see what the bot tried while it was down
                self.calls.append(Call(method, params, 0, "no answer (outage)", self._stamp()))
                self._notify()
        if hold is not None:
            self._released.wait(120)
        elif hanging:
            with self.changed:  # until the outage is over (`outage` may move its end)
                while (left := self.outage_until - self.clock.monotonic()) > 0:
                    self.changed.wait(left)
        return hold is not None or hanging

    def _check_outage(self) -> None:
        if self.clock.monotonic() < self.outage_until:
            raise ApiError(502, "Bad Gateway")

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them fail with 403."""
        with self._lock:
            self.blocked.add(user_id)

    def _injected_failure(self, method: str, params: dict[str, Any]) -> ApiError | None:
        for failure in self.failures:
            applies = failure.method == method or (
                failure.method is None and method not in ("getUpdates", "getMe")
            )
            applies = applies and failure.chat_id in (None, params.get("chat_id"))
            if applies:
                failure.count -= 1
                if failure.count <= 0:
                    self.failures.remove(failure)
                return ApiError(failure.status, failure.description, failure.retry_after)
        return None

    # ----- reading what happened ------------------------------------------------------------

    def chat(self, chat_id: int) -> list[ChatMessage]:
        """Every message of a chat in order (a copy of the list)."""
        with self._lock:
            return list(self.messages.get(chat_id, []))

    def bot_messages(self, chat_id: int, after_seq: int = 0) -> list[ChatMessage]:
        """The bot's messages in a chat sent or edited after `after_seq`."""
        with self._lock:
            return [
                m for m in self.messages.get(chat_id, []) if m.from_bot and m.seq > after_seq
            ]

    def rejected_calls(self, status: int | None = None) -> list[Call]:
        """Calls answered with an error (by status if given), injected failures included."""
        with self._lock:
            return [c for c in self.calls if c.status >= 400 and status in (None, c.status)]

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block (a thread) until `predicate()` holds or the time runs out."""
        deadline = self.clock.monotonic() + timeout
        with self.changed:
            while not predicate():
                remaining = deadline - self.clock.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(remaining)
            return True

    # ----- the API itself -------------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any], files: Uploads) -> Any:
        """Run one Bot API method; return its `result` or raise ApiError."""
        with self._lock:
            try:
                result = self._dispatch(method, params, files)
            except ApiError as error:
                self.calls.append(
                    Call(method, params, error.status, error.description, self._stamp())
                )
                self._notify()
                raise
            self.calls.append(Call(method, params, 200, at=self._stamp()))
            self._notify()
            return result

    def poll(self, offset: int | None, limit: int = 100) -> list[dict[str, Any]]:
        """getUpdates without waiting: confirm below `offset`, return what is queued."""
        with self._lock:
            if self.webhook is not None:
                self.calls.append(Call("getUpdates", {"offset": offset}, 409, "Conflict",
                                       self._stamp()))
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                               "active; use deleteWebhook to delete the webhook first")
            if self.clock.monotonic() < self.outage_until:
                self.calls.append(Call("getUpdates", {"offset": offset}, 502, "Bad Gateway",
                                       self._stamp()))
                self.changed.notify_all()  # a waiter may be watching for failed polls
                raise ApiError(502, "Bad Gateway")
            if offset:
                self._confirmed = max(self._confirmed, offset - 1)
            while (self._skip < len(self._updates)
                   and self._updates[self._skip]["update_id"] <= self._confirmed):
                self._skip += 1
            fresh = [u for u in self._updates[self._skip:]
                     if u["update_id"] > self._confirmed][:limit]
            if fresh:
                self._taken = max(self._taken, self._updates.index(fresh[-1], self._skip) + 1)
            self.calls.append(Call("getUpdates", {"offset": offset}, 200, at=self._stamp()))
            self.changed.notify_all()
            return fresh

    def _dispatch(self, method: str, params: dict[str, Any], files: Uploads) -> Any:
        self._check_outage()
        failure = self._injected_failure(method, params)
        if failure is not None:
            raise failure
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        if self.reject_reply_parameters and "reply_parameters" in params:
            raise ApiError(400, "Bad Request: reply_parameters is not supported")
        return handler(params, files)

    def _m_getMe(self, params: dict[str, Any], files: Uploads) -> Any:
        return self.bot_user

    # ----- webhooks ------------------------------------------------------------------------

    def _m_setWebhook(self, params: dict[str, Any], files: Uploads) -> Any:
        url = params.get("url", "")
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: an HTTP URL must be provided")
        extra = sorted(set(params) - {"url"})
        if self.bale and extra:  # Bale's setWebhook knows only the URL
            raise ApiError(400, f"Bad Request: unknown parameter {extra[0]}")
        secret = params.get("secret_token")
        if secret is not None and not (1 <= len(secret) <= 256):
            raise ApiError(400, "Bad Request: secret token is invalid")
        self.webhook = {"url": url, "secret_token": secret, "last_error": None}
        return True

    def _m_deleteWebhook(self, params: dict[str, Any], files: Uploads) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._confirmed = max([self._confirmed] + [u["update_id"] for u in self._updates])
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any], files: Uploads) -> Any:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": sum(
                1 for u in self._updates if u["update_id"] > self._confirmed),
        }
        if self.webhook and self.webhook["last_error"]:
            info["last_error_date"], info["last_error_message"] = self.webhook["last_error"]
        return info

    def lose_webhook_answers(self, count: int = 1) -> None:
        """The bot's answers to the next `count` posts are lost on the way back: the
        messenger posts the same update again, as Telegram does after a timeout."""
        with self._lock:
            self._answers_to_lose += count

    def webhook_due(self) -> tuple[str, str | None, dict[str, Any]] | None:
        """For the poster: the webhook's URL, the secret to send (none on Bale) and the
        oldest update the bot has not answered; None while there is nothing to post."""
        with self._lock:
            if self.webhook is None or self.clock.monotonic() < self.outage_until:
                return None
            for update in self._updates[self._skip:]:
                if update["update_id"] > self._confirmed:
                    secret = None if self.bale else self.webhook["secret_token"]
                    return self.webhook["url"], secret, update
            return None

    def webhook_answered(self, url: str, update_id: int, status: int, note: str = "") -> bool:
        """For the poster: record one post and its answer; True if the update is done with
        (a 200 that was not lost), False if it is to be posted again."""
        with self._lock:
            if status == 200 and self._answers_to_lose > 0:
                self._answers_to_lose -= 1
                status, note = 0, "answer lost"
            self.webhook_posts.append(WebhookPost(update_id, url, status, note))
            done = status == 200
            if done:
                self._confirmed = max(self._confirmed, update_id)
            elif self.webhook is not None:
                self.webhook["last_error"] = (self.clock.timestamp(),
                                              note or f"Wrong response from the webhook: {status}")
            self._notify()
            return done

    def _m_close(self, params: dict[str, Any], files: Uploads) -> Any:
        return True

    def _m_setMyCommands(self, params: dict[str, Any], files: Uploads) -> Any:
        commands = params.get("commands") or []
        for command in commands:
            if not (1 <= len(command.get("command", "")) <= 32) or not command.get("description"):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)] = (
            commands
        )
        return True

    def _m_deleteMyCommands(self, params: dict[str, Any], files: Uploads) -> Any:
        self.commands.pop(json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True),
                          None)
        return True

    def _m_sendChatAction(self, params: dict[str, Any], files: Uploads) -> Any:
        self._target_chat(params)
        return True

    def _m_setChatMenuButton(self, params: dict[str, Any], files: Uploads) -> Any:
        if self.bale:  # Telegram's menu button; Bale's Bot API has none
            raise ApiError(404, "Not Found")
        button = params.get("menu_button") or {}
        self.menu_buttons[int(params.get("chat_id", 0))] = (
            json.loads(button) if isinstance(button, str) else button)
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any], files: Uploads) -> Any:
        query_id = params.get("callback_query_id", "")
        if query_id not in self.open_callbacks:
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query id "
                "is invalid"
            )
        if len(params.get("text", "")) > MAX_CALLBACK_ANSWER:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.open_callbacks.discard(query_id)
        self.callback_answers[query_id] = params
        return True

    def _stamp(self) -> float:
        return self.clock.now().timestamp()

    def _rate_check(self) -> None:
        if self.max_rate is None:
            return
        now = self.clock.monotonic()
        while self._send_times and now - self._send_times[0] >= 1.0:
            self._send_times.popleft()
        if len(self._send_times) >= self.max_rate:
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._send_times.append(now)

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    @staticmethod
    def _check_markup(markup: dict[str, Any] | None) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        for row in markup.get("keyboard", []):
            for button in row:
                label = button if isinstance(button, str) else button.get("text")
                if not label:
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")

    def _store_bot_message(
        self, chat_id: int, kind: str, params: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        markup = params.get("reply_markup") or {}
        self._check_markup(markup)
        self._rate_check()
        message = ChatMessage(
            message_id=self.next_message_id(chat_id),
            chat_id=chat_id,
            from_bot=True,
            kind=kind,
            text=params.get("text") or params.get("caption") or "",
            inline_keyboard=markup.get("inline_keyboard", []),
            reply_keyboard=markup.get("keyboard"),
            remove_keyboard=bool(markup.get("remove_keyboard")),
            **extra,
        )
        message.seq = self.bot_seq[chat_id] = self.next_seq()
        raw: dict[str, Any] = {
            "message_id": message.message_id,
            "date": self.clock.timestamp(),
            "chat": self.chats[chat_id],
            "from": self.bot_user,
        }
        if kind == "text":
            raw["text"] = message.text
        elif message.text:
            raw["caption"] = message.text
        if message.inline_keyboard:
            raw["reply_markup"] = {"inline_keyboard": message.inline_keyboard}
        message.raw = raw
        self.messages[chat_id].append(message)
        return raw

    def _m_sendMessage(self, params: dict[str, Any], files: Uploads) -> Any:
        chat_id = self._target_chat(params)
        text = params.get("text", "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return self._store_bot_message(chat_id, "text", params)

    def _send_file(
        self, kind: str, params: dict[str, Any], files: Uploads
    ) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        if len(params.get("caption", "")) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        value = params.get(kind)
        upload = files.get(kind)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            name, content = upload
            file_id, unique_id = self.new_file_id(kind)
            self.files[file_id] = content
        elif isinstance(value, str) and value in self.files:
            name, content = f"{kind}.bin", self.files[value]
            file_id, unique_id = value, value + "-u"
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        raw = self._store_bot_message(
            chat_id, kind, params, file_name=name, file_bytes=content
        )
        described = {"file_id": file_id, "file_unique_id": unique_id, "file_size": len(content)}
        if kind == "photo":
            raw["photo"] = [described | {"width": 800, "height": 600}]
        elif kind == "voice":
            raw["voice"] = described | {"duration": int(params.get("duration") or 1)}
        else:
            raw[kind] = described | {"file_name": name}
        return raw

    def _m_sendDocument(self, params: dict[str, Any], files: Uploads) -> Any:
        return self._send_file("document", params, files)

    def _m_sendPhoto(self, params: dict[str, Any], files: Uploads) -> Any:
        return self._send_file("photo", params, files)

    def _m_sendVoice(self, params: dict[str, Any], files: Uploads) -> Any:
        return self._send_file("voice", params, files)

    def _find_bot_message(self, params: dict[str, Any]) -> ChatMessage:
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        for message in self.messages[chat_id]:
            if message.message_id == message_id:
                if not message.from_bot:
                    raise ApiError(400, "Bad Request: message can't be edited")
                return message
        raise ApiError(400, "Bad Request: message to edit not found")

    def _apply_edit(self, message: ChatMessage, text: str | None, markup: dict[str, Any]) -> Any:
        self._check_markup(markup)
        new_text = message.text if text is None else text
        new_keyboard = markup.get("inline_keyboard", [])
        if new_text == message.text and new_keyboard == message.inline_keyboard:
            raise ApiError(
                400, "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of "
                "the message"
            )
        message.text = new_text
        message.inline_keyboard = new_keyboard
        message.edits += 1
        message.seq = self.bot_seq[message.chat_id] = self.next_seq()
        raw = dict(message.raw)
        raw["text" if message.kind == "text" else "caption"] = new_text
        raw["edit_date"] = self.clock.timestamp()
        if new_keyboard:
            raw["reply_markup"] = {"inline_keyboard": new_keyboard}
        else:
            raw.pop("reply_markup", None)
        message.raw = raw
        return raw

    def _m_editMessageText(self, params: dict[str, Any], files: Uploads) -> Any:
        text = params.get("text", "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        message = self._find_bot_message(params)
        return self._apply_edit(message, text, params.get("reply_markup") or {})

    def _m_editMessageReplyMarkup(self, params: dict[str, Any], files: Uploads) -> Any:
        message = self._find_bot_message(params)
        return self._apply_edit(message, None, params.get("reply_markup") or {})

    def _m_sendLocation(self, params: dict[str, Any], files: Uploads) -> Any:
        chat_id = self._target_chat(params)
        try:
            latitude, longitude = float(params["latitude"]), float(params["longitude"])
        except (KeyError, ValueError):
            raise ApiError(400, "Bad Request: wrong latitude or longitude") from None
        raw = self._store_bot_message(chat_id, "location", params)
        raw["location"] = {"latitude": latitude, "longitude": longitude}
        return raw

    def _m_getFile(self, params: dict[str, Any], files: Uploads) -> Any:
        file_id = params.get("file_id", "")
        return {"file_id": file_id, "file_unique_id": file_id + "-u",
                "file_path": f"files/{file_id}"}
