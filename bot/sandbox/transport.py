"""Two ways to reach the fake server: in process as a PTB `BaseRequest`, or over HTTP.

`FakeRequest` plugs into `Application.builder().request(...)`: PTB believes it is talking
to a server, and every call goes through the same rules as on the wire. `FakeHTTPServer`
serves the same `FakeBotAPI` on a loopback port, so a bot started as a separate process
with `BOT_API_URL=http://127.0.0.1:PORT/bot` talks to it over real HTTP; once that bot sets
a webhook, `WebhookPoster` posts it the updates, as the messenger would.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
import re
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from bot.sandbox.fake_api import ApiError, FakeBotAPI, Uploads, decode_params

_API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


def _respond(api: FakeBotAPI, method: str, params: dict[str, Any],
             files: Uploads) -> tuple[int, bytes]:
    try:
        result = api.call(method, params, files)
    except ApiError as error:
        return error.status, json.dumps(error.body()).encode()
    return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


def _ok(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


class FakeRequest(BaseRequest):
    """A PTB request object that answers from a `FakeBotAPI` in this process."""

    def __init__(self, api: FakeBotAPI, *, round_trip: float = 0.0) -> None:
        self.api = api
        # Seconds each call spends crossing the network, half each way (benchmarks only:
        # in process it is otherwise instant, which hides how a bot waits on the messenger).
        self.round_trip = round_trip

    @property
    def read_timeout(self) -> float | None:
        """Long polls are answered in process; no socket timeout applies."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

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
        """Answer one API call from the fake server."""
        api_method = url.rstrip("/").rsplit("/", 1)[-1]
        raw = request_data.json_parameters if request_data else {}
        files: Uploads = {}
        if request_data and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                if isinstance(value, tuple) and isinstance(value[1], bytes):
                    files[name] = (str(value[0]), value[1])
        params = decode_params(raw)
        if api_method == "getUpdates":
            try:
                updates = await self._long_poll(params)
            except ApiError as error:
                return error.status, json.dumps(error.body()).encode()
            await self._cross_network()
            return _ok(updates)
        await self._cross_network()
        answer = _respond(self.api, api_method, params, files)
        await self._cross_network()
        return answer

    async def _cross_network(self) -> None:
        if self.round_trip:
            await asyncio.sleep(self.round_trip / 2)  # simulated network, not synchronisation

    async def _long_poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        timeout = 0.0 if self.api.bale else float(params.get("timeout") or 0)  # Bale: no wait
        deadline = loop.time() + timeout
        while True:
            event = asyncio.Event()

            def waker(event: asyncio.Event = event) -> None:
                loop.call_soon_threadsafe(event.set)

            self.api.add_waker(waker)
            try:
                result = self.api.poll(params.get("offset"), int(params.get("limit") or 100))
                remaining = deadline - loop.time()
                if result or remaining <= 0:
                    return result
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    pass
            finally:
                self.api.remove_waker(waker)


def _parse_body(
    content_type: str, body: bytes
) -> tuple[dict[str, str], Uploads]:
    """Form fields and uploaded files from a POST body."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}
    if content_type.startswith("application/json"):
        data = json.loads(body or b"{}")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}, {}
    if content_type.startswith("multipart/form-data"):
        header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
        fields: dict[str, str] = {}
        files: Uploads = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                payload = b""
            if part.get_filename() is not None:
                files[str(name)] = (str(part.get_filename()), payload)
            else:
                fields[str(name)] = payload.decode("utf-8")
        return fields, files
    return {}, {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake server's access log would drown the test output."""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, fields: dict[str, str], files: Uploads) -> None:
        path = urlsplit(self.path).path
        api = self.server.api
        file_match = _FILE_PATH.match(path)
        if file_match:
            content = api.files.get(file_match["path"].removeprefix("files/"))
            self._send(200 if content is not None else 404, content or b"",
                       "application/octet-stream")
            return
        match = _API_PATH.match(path)
        if not match:
            self._send(404, json.dumps(ApiError(404, "Not Found").body()).encode())
            return
        if self.server.token is not None and match["token"] != self.server.token:
            self._send(401, json.dumps(ApiError(401, "Unauthorized").body()).encode())
            return
        params = decode_params(fields)
        if api.stall(match["method"], params):
            self._send(504, json.dumps(ApiError(504, "Gateway Timeout").body()).encode())
            return
        if match["method"] == "getUpdates":
            try:
                self._send(*_ok(self.server.long_poll(params)))
            except ApiError as error:
                self._send(error.status, json.dumps(error.body()).encode())
        else:
            self._send(*_respond(api, match["method"], params, files))

    def do_POST(self) -> None:
        """Every Bot API call PTB makes is a POST."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fields, files = _parse_body(self.headers.get("Content-Type", ""), body)
        fields.update(parse_qsl(urlsplit(self.path).query))
        self._route(fields, files)

    def do_GET(self) -> None:
        """GET with query parameters works too, as on the real server."""
        self._route(dict(parse_qsl(urlsplit(self.path).query)), {})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, api: FakeBotAPI, token: str | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api
        self.token = token
        self.closing = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a long poll at shutdown) is not an error."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)

    def long_poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        timeout = 0.0 if self.api.bale else min(float(params.get("timeout") or 0), 30.0)
        result = self.api.poll(offset, int(params.get("limit") or 100))
        if result or timeout <= 0:
            return result

        def ready() -> bool:
            if self.closing.is_set():
                return True
            with self.api._lock:
                confirmed = max(self.api._confirmed, (offset or 1) - 1)
                return any(u["update_id"] > confirmed for u in self.api._updates)

        self.api.wait_until(ready, timeout)
        return [] if self.closing.is_set() else self.api.poll(offset)


class WebhookPoster:
    """The messenger's side of a webhook: posts each update, oldest first and one at a
    time, as JSON to the URL the bot set, with Telegram's secret header (Bale sends none:
    its secret is in the URL). An update the bot did not answer with 200 (refused, timed
    out, or its answer lost) is posted again after a pause that grows, as Telegram does."""

    TIMEOUT = 5.0  # seconds the messenger waits for the bot's answer
    FIRST_RETRY, LAST_RETRY = 0.2, 2.0

    def __init__(self, api: FakeBotAPI, closing: threading.Event) -> None:
        self.api = api
        self.closing = closing
        self._thread = threading.Thread(target=self._run, name="fake-webhook", daemon=True)

    def start(self) -> None:
        """Start posting in a background thread."""
        self._thread.start()

    def join(self) -> None:
        """Wait for the thread after `closing` was set."""
        self._thread.join(timeout=self.TIMEOUT + 1)

    def _run(self) -> None:
        pause = self.FIRST_RETRY
        while not self.closing.is_set():
            due = None

            def ready() -> bool:
                nonlocal due
                due = self.api.webhook_due()
                return due is not None or self.closing.is_set()

            self.api.wait_until(ready, timeout=0.5)
            if due is None:
                continue
            url, secret, update = due
            status, note = self._post(url, secret, update)
            if self.api.webhook_answered(url, update["update_id"], status, note):
                pause = self.FIRST_RETRY
            else:
                self.closing.wait(pause)  # the messenger's back-off, not a test's wait
                pause = min(pause * 2, self.LAST_RETRY)

    def _post(self, url: str, secret: str | None, update: dict[str, Any]) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = json.dumps(update, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.TIMEOUT) as answer:
                answer.read()
                return answer.status, ""
        except urllib.error.HTTPError as error:
            return error.code, f"Wrong response from the webhook: {error.code}"
        except (OSError, TimeoutError) as error:
            return 0, f"Connection failed: {type(error).__name__}"


class FakeHTTPServer:
    """The fake Bot API on a loopback port, served from a background thread; it posts
    updates to the bot once the bot has set a webhook."""

    def __init__(self, api: FakeBotAPI, token: str | None = None) -> None:
        self.api = api
        self._server = _Server(api, token)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-bot-api", daemon=True
        )
        self._poster = WebhookPoster(api, self._server.closing)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self._server.server_address[1]

    @property
    def api_url(self) -> str:
        """The value for BOT_API_URL."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        """The value for BOT_FILE_URL."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> FakeHTTPServer:
        """Start serving; returns self."""
        self._thread.start()
        self._poster.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.closing.set()
        with self.api.changed:
            self.api.changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._poster.join()

    def __enter__(self) -> FakeHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
