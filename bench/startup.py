"""Benchmark (not a test): time from starting `python -m bot run` to its first getUpdates,
and to its answer to a /start that was waiting when it started, with the five-year database
of the digests benchmark, and with an empty one beside it.

    .venv/bin/python bench/digest_bench.py     # once: fills bench-data/bench.db (minutes)
    .venv/bin/python bench/startup.py          # five starts of each, prints the figures
    sudo .venv/bin/python bench/startup.py --cold   # the page cache dropped before each start

The bot talks to the fake Bot API on a loopback port, exactly as `tashilyar run` would talk
to Telegram or Bale. It runs on a copy of the big database (the bot writes to what it
opens), made once per run of this script. Each start is stopped with SIGTERM. The copy
leaves the file in the page cache (a warm start, as after a quick restart); `--cold`
drops the cache before each start (needs root), as after a reboot.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.sandbox import FakeBotAPI, FakeHTTPServer, SimUser

ROOT = Path(__file__).resolve().parent.parent
BIG = ROOT / "bench-data" / "bench.db"
TOKEN = "123456:STARTUP"


def drop_page_cache() -> None:
    """Write dirty pages out and drop the page cache (root only)."""
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def first_poll(api: FakeBotAPI, seen: int) -> bool:
    """Whether the new bot has polled: a getUpdates after its deleteWebhook (the stopped
    bot's last long poll may still come back late, and must not count)."""
    calls = api.calls[seen:]
    started = next((n for n, c in enumerate(calls) if c.method == "deleteWebhook"), None)
    return started is not None and any(c.method == "getUpdates" for c in calls[started:])


def start_once(server: FakeHTTPServer, database: Path, folder: Path, user: SimUser,
               cold: bool) -> tuple[float, float]:
    """Seconds from spawning the bot to its first getUpdates, and to its answer to a /start
    sent before it started; the bot is then stopped."""
    api = server.api
    seen = len(api.calls)
    mark = api.last_seq
    user.send_text("/start")
    if cold:
        drop_page_cache()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "MESSENGER"))}
    env.update({"BOT_TOKEN": TOKEN, "BOT_API_URL": server.api_url,
                "BOT_FILE_URL": server.file_url, "DATABASE_PATH": str(database),
                "ENV_FILE": str(folder / "no.env"), "PYTHONUNBUFFERED": "1"})
    log = (folder / "bot.log").open("a")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    polled = api.wait_until(lambda: first_poll(api, seen), timeout=120)
    elapsed = time.perf_counter() - started
    answered = api.wait_until(lambda: bool(user.messages(mark)), timeout=120)
    answer = time.perf_counter() - started
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)
    log.close()
    if not polled or not answered or code != 0:
        sys.exit(f"the bot did not start cleanly (exit {code}); its log:\n"
                 f"{(folder / 'bot.log').read_text()[-3000:]}")
    return elapsed, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold", action="store_true",
                        help="drop the page cache before each start (root only)")
    args = parser.parse_args()
    if args.cold and os.geteuid() != 0:
        sys.exit("--cold drops the page cache, which needs root: run it with sudo")
    if not BIG.exists():
        sys.exit(f"{BIG.relative_to(ROOT)} is missing: run `.venv/bin/python "
                 "bench/digest_bench.py` first (it fills it in a few minutes)")
    folder = Path(tempfile.mkdtemp(prefix="tashilyar-startup-"))
    try:
        size = BIG.stat().st_size
        print(f"copying the five-year database ({size / 2**30:.2f} GiB) …", flush=True)
        big_copy = folder / "big.db"
        shutil.copyfile(BIG, big_copy)
        for suffix in ("-wal", "-shm"):
            if BIG.with_name(BIG.name + suffix).exists():
                shutil.copyfile(BIG.with_name(BIG.name + suffix),
                                big_copy.with_name(big_copy.name + suffix))
        with FakeHTTPServer(FakeBotAPI(), token=TOKEN) as server:
            rows = []
            user = SimUser(server.api, 500, "زهرا")
            for label, database in (("five-year database", big_copy),
                                    ("empty database", folder / "empty.db")):
                polls, answers = [], []
                for run in range(args.runs):
                    poll, answer = start_once(server, database, folder, user, args.cold)
                    polls.append(poll)
                    answers.append(answer)
                    print(f"  {label}: start {run + 1}/{args.runs} polled after {poll:.2f} s, "
                          f"answered after {answer:.2f} s", flush=True)
                rows.append((f"{label}, first poll", polls))
                rows.append((f"{label}, first answer", answers))
        cache = "cold (page cache dropped)" if args.cold else "warm"
        print(f"\nstart → first getUpdates / first answer, {cache} starts")
        print(f"{'':<36}{'median s':>9}{'min s':>8}{'max s':>8}")
        for label, times in rows:
            print(f"{label:<36}{statistics.median(times):>9.2f}{min(times):>8.2f}"
                  f"{max(times):>8.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
