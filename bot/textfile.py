"""Reading the text files an operator edits (`.env`, the organisation file, form files).

They are saved by whatever editor was at hand: UTF-8 with or without a BOM is read as it
is; a file saved as UTF-16 (Windows Notepad's "Unicode") or in the old Windows Arabic code
page (Windows-1256) cannot be read as UTF-8, and `EncodingProblem` says so in one line
that names the encoding found and the one to save it in.
"""

from __future__ import annotations

import codecs
from pathlib import Path

SAVE_AS = "save it again as UTF-8 (in Notepad: Save as → Encoding: UTF-8)"


class EncodingProblem(ValueError):
    """The file is not UTF-8; the message names the encoding it seems to be in."""


def _looks_utf16(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = data[:200]
    return len(sample) >= 4 and sample.count(0) * 3 >= len(sample)  # every other byte NUL


def decode_text(data: bytes) -> str:
    """The text of a UTF-8 file (a BOM is dropped); EncodingProblem for anything else."""
    if _looks_utf16(data):
        raise EncodingProblem(f"is saved as UTF-16, not UTF-8; {SAVE_AS}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1256")
    except UnicodeDecodeError:  # pragma: no cover - cp1256 maps nearly every byte
        raise EncodingProblem(f"is not UTF-8 text; {SAVE_AS}") from None
    raise EncodingProblem(f"is not UTF-8 (it looks like Windows-1256, Arabic); {SAVE_AS}")


def read_text(path: Path) -> str:
    """Read an operator's text file (see `decode_text`); OSError as usual."""
    return decode_text(path.read_bytes())
