"""Benchmark (not a test): reply latency with polling and with the webhook, on Bale's
settings (and Telegram's beside them).

    .venv/bin/python bench/webhook.py              # 80 replies per mode, prints the table
    .venv/bin/python bench/webhook.py --count 200

`python -m bot run` talks to the fake Bot API on a loopback port, as it would to Bale or
Telegram. A person sends `/help`, waits for the answer, pauses a random 0–1 s (so that
messages fall anywhere in the bot's polling cycle), and sends again; the latency is from
the message reaching the messenger to the answer reaching it. On Bale settings the fake
answers `getUpdates` at once, as Bale does (no long polling), and the bot polls once a
second; with the webhook the fake posts each update to the bot as it arrives. On
Telegram's settings `getUpdates` is a long poll, answered as soon as an update arrives.
Loopback adds no network time: on a real link each figure grows by the round trips.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox import FakeBotAPI, FakeHTTPServer, SimUser

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:WEBHOOKBENCH"
SECRET = "bench-secret-0123456789abcdef"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(messenger: str, webhook: bool, count: int, folder: Path) -> list[float]:
    """Start the bot, take `count` reply latencies (seconds), stop it."""
    api = FakeBotAPI(bale=messenger == "bale")
    with FakeHTTPServer(api, token=TOKEN) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_"))}
        env.update({"BOT_TOKEN": TOKEN, "BOT_API_URL": server.api_url,
                    "BOT_FILE_URL": server.file_url, "MESSENGER": messenger,
                    "ENV_FILE": str(folder / "no.env"), "LOG_LEVEL": "WARNING",
                    "FLOOD_PER_MINUTE": "10000",  # one person sends fast here: no slowing
                    "DATABASE_PATH": str(folder / f"{messenger}-{webhook}.db")})
        if webhook:
            port = free_port()
            env.update({"WEBHOOK_URL": f"http://127.0.0.1:{port}/hook", "WEBHOOK_SECRET": SECRET,
                        "WEBHOOK_PORT": str(port)})
        process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=folder,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            person = SimUser(api, 500, "زهرا")
            for _ in range(3):  # warm-up: the bot has started and answers
                mark = api.last_seq
                person.send_text("/start")
                assert api.wait_until(lambda m=mark: bool(person.messages(m)), timeout=30)
            latencies = []
            pause = random.Random(14)
            for _ in range(count):
                time.sleep(pause.uniform(0, 1))  # a person typing, not synchronisation
                mark = api.last_seq
                sent = time.monotonic()
                person.send_text("/help")
                assert api.wait_until(lambda m=mark: bool(person.messages(m)), timeout=30)
                latencies.append(time.monotonic() - sent)
            return latencies
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0.5: the median), by the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    """Measure each mode and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=80, help="replies measured per mode")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for messenger, webhook in (("bale", False), ("bale", True),
                                   ("telegram", False), ("telegram", True)):
            found = measure(messenger, webhook, args.count, Path(folder))
            rows.append((f"{messenger}, {'webhook' if webhook else 'polling'}", found))
    print(f"reply latency, {args.count} replies each (ms)")
    print(f"{'':24}{'p50':>8}{'p95':>8}{'max':>8}{'mean':>8}")
    for name, found in rows:
        ms = [x * 1000 for x in found]
        print(f"{name:24}{percentile(ms, 0.5):8.0f}{percentile(ms, 0.95):8.0f}"
              f"{max(ms):8.0f}{statistics.fmean(ms):8.0f}")


if __name__ == "__main__":
    main()
