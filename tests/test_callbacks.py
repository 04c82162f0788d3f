"""The button codec: every button the bot has ever written reads back as the same tap, and
garbled or forged data reads as nothing."""

import pytest

from bot.callbacks import Area, decode, encode, tap

# Data as earlier versions wrote it (the outbox may still hold some of these).
WRITTEN = [
    "frm:0:new::", "frm:0:nonew::", "frm:12:a:q1:yes", "frm:12:ok::", "frm:7:n::field_report",
    "frm:3:a:when:today", "req:open:5", "req:take:5:2", "req:st:5:resolved:3", "req:list",
    "req:ls:-:-:-:0", "req:ls:received:4:water:10", "req:fs:-:-:-", "req:to:5:abfa:3",
    "req:hto:5:9:3", "trk:orig:5", "trk:yes:5", "trk:wdy:5", "inv:r:facilitator",
    "inv:o:supervisor:3", "inv:p:1", "dig:day", "dig:week:prev", "exp:last", "ppl:list",
    "ppl:d:4:facilitator",
]


@pytest.mark.parametrize("data", WRITTEN)
def test_every_written_button_reads_back_the_same(data: str) -> None:
    read = decode(data)
    assert read is not None
    assert encode(read) == data


@pytest.mark.parametrize("data", [
    None, "", "zzz:1", "req:take:5", "req:take:x:2", "req:take:5:2:9", "trk:show:-1",
    "req:take:99999999999999999999:1", "frm:x:ok::", "inv:o:supervisor", "dig:year",
    "req:st:5:resol:ved:3",
])
def test_garbled_or_forged_data_reads_as_nothing(data: str | None) -> None:
    assert decode(data) is None


def test_typed_fields() -> None:
    read = decode(encode(tap(Area.STAFF, "take", request=5, version=2)))
    assert read is not None and read.number("request") == 5 and read.number("version") == 2
    form = decode(encode(tap(Area.FORM, "a", draft=12, question="q1", value="a:b")))
    assert form is not None and form.draft == 12 and form.text("value") == "a:b"


def test_data_over_64_bytes_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        encode(tap(Area.FORM, "a", draft=1, question="q", value="x" * 80))
    with pytest.raises(ValueError):
        encode(tap(Area.STAFF, "nosuch"))
