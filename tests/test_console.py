"""`tashilyar console`: a newcomer chats with the bot in the terminal with no token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_process import bot_env


def test_admin_invites_a_facilitator_in_the_console(tmp_path: Path) -> None:
    script = "\n".join([
        "/start",
        "دعوت همکار",
        "#1",           # تسهیل‌گر
        "#3",           # the third office
        ":switch مریم",
        ":link",
        ":quit",
    ]) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--as", "admin",
         "--database", str(tmp_path / "console.db")],
        input=script, env=bot_env(tmp_path, None), cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "شما مدیر سامانه هستید" in out
    assert "#1 [تسهیل‌گر]" in out and "#2 [ناظر]" in out
    assert "کد دعوت تسهیل‌گر" in out
    assert "عضویت شما ثبت شد: تسهیل‌گر" in out
    assert "Traceback" not in result.stderr
