"""Tashilyar (تسهیل‌یار): a Persian-first bot for community facilitation offices."""
