"""People as they write, through the fake messenger over the real bot: a resident's first
message becomes a request with one tap (text, voice note or photo), a greeting gets a
greeting, staff get a pointer; voice notes answer text questions and are played to
staff; an edited message changes its answer; typed counts, dates, phones and addresses
in real forms."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import openpyxl
import pytest

from bot.locale import jalali
from bot.locale.normalize import to_ascii_digits
from bot.locale.phones import shown_phone
from bot.locale.text import t
from bot.reports.export import build_export
from bot.sandbox import SandboxBot, SimUser
from storage import drafts, offices
from storage.people import get_person
from tests.test_forms import join as join_office

CODE = re.compile(r"کد پیگیری: \u2066?([۰-۹]{4}-[۰-۹]{4})")
PROBLEM = "سلام. آب کوچه ما سه روز است قطع است"


async def join(sandbox: SandboxBot, user: SimUser, office_slug: str) -> None:
    """Make `user` a facilitator of the office through a real invite."""
    await join_office(sandbox.db, user, office_slug)  # type: ignore[arg-type]


async def requests_rows(sandbox: SandboxBot) -> list[dict[str, object]]:
    assert sandbox.db is not None
    return [dict(r) for r in await sandbox.db.fetchall("SELECT * FROM requests ORDER BY id")]


async def attachment_kinds(sandbox: SandboxBot) -> list[str]:
    assert sandbox.db is not None
    return [r["kind"] for r in await sandbox.db.fetchall(
        "SELECT kind FROM attachments ORDER BY id")]


async def answers_of(sandbox: SandboxBot, user: SimUser) -> dict[str, object]:
    assert sandbox.db is not None
    person = await get_person(sandbox.db, user.id)
    assert person is not None
    draft = await drafts.draft_of(sandbox.db, person.id)
    assert draft is not None
    return draft.answers


async def request_until_photos(sandbox: SandboxBot, resident: SimUser) -> None:
    """A resident opens «ثبت درخواست», picks a topic and a neighbourhood and describes it."""
    await sandbox.say(resident, "ثبت درخواست")
    await sandbox.tap(resident, "آب، برق، گاز، کوچه و خیابان")
    await sandbox.tap(resident, "سرآسیاب")
    await sandbox.say(resident, "چراغ‌های کوچهٔ ما یک ماه است خاموش است.")


async def finish_request(sandbox: SandboxBot, resident: SimUser) -> str:
    """From the category question on (the description already given): anonymous, no
    photos, no place; return the tracking code's text."""
    await sandbox.tap(resident, "آب، برق، گاز، کوچه و خیابان")
    photos = (await sandbox.tap(resident, "سرآسیاب"))[-1]
    assert photos.text.endswith("بعد «تمام» را بزنید."), photos.text  # description skipped
    await sandbox.tap(resident, t("form.skip"))
    await sandbox.tap(resident, t("form.skip"))
    summary = (await sandbox.tap(resident, "نه، زنگ نزنید"))[-1]
    assert summary.text.startswith("درخواست — خلاصه")
    filed = (await sandbox.tap(resident, t("form.confirm")))[-1].text
    found = CODE.search(filed)
    assert found, filed
    return found.group(1)


# --- first contact ----------------------------------------------------------------------------


async def test_a_residents_first_message_becomes_a_request_with_one_tap(
    sandbox: SandboxBot,
) -> None:
    zahra = sandbox.user(500, "زهرا")
    offer = (await sandbox.say(zahra, PROBLEM))[-1]
    assert offer.text == t("start.offer")
    assert offer.buttons() == [t("start.offer_yes"), t("start.offer_no")]
    started = await sandbox.tap(zahra, t("start.offer_yes"))
    assert started[0].text.endswith(f"\n← {t('start.offer_yes')}")  # no stale buttons left
    assert started[1].text.startswith("درخواست — آنچه فرستادید در درخواست آمد")
    assert "درخواست شما دربارهٔ چیست؟" in started[-1].text
    await finish_request(sandbox, zahra)
    [row] = await requests_rows(sandbox)
    assert row["description"] == PROBLEM


async def test_several_messages_before_the_tap_make_one_description(
    sandbox: SandboxBot,
) -> None:
    zahra = sandbox.user(500, "زهرا")
    await sandbox.say(zahra, "چراغ‌های کوچهٔ ما خاموش است")
    await sandbox.say(zahra, "از هفتهٔ پیش، شب‌ها کوچه تاریک است")
    await sandbox.tap(zahra, t("start.offer_yes"))
    await finish_request(sandbox, zahra)
    [row] = await requests_rows(sandbox)
    assert row["description"] == "چراغ‌های کوچهٔ ما خاموش است\nاز هفتهٔ پیش، شب‌ها کوچه تاریک است"


async def test_a_greeting_gets_a_greeting_and_the_menu(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    for greeting in ("سلام", "سلام، وقت بخیر", "درود!"):
        reply = (await sandbox.say(zahra, greeting))[-1]
        assert reply.text == t("start.greet_resident", name="زهرا", scope="")
        assert zahra.menu_labels()[0] == t("menu.request")
    thanks = (await sandbox.say(zahra, "ممنون"))[-1]
    assert thanks.text == t("start.thanks")


async def test_declining_the_offer_and_too_short_a_message(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    assert (await sandbox.say(zahra, "آب"))[-1].text == t("start.too_short")
    await sandbox.say(zahra, PROBLEM)
    declined = await sandbox.tap(zahra, t("start.offer_no"))
    assert declined[-1].text == t("start.offer_declined")
    assert await requests_rows(sandbox) == []
    # the offer is gone: tapping «yes» on it now says so
    zahra.tap_data("frm:0:new::")
    await sandbox.deliver()
    assert list(sandbox.api.callback_answers.values())[-1]["text"] == t("start.offer_gone")


async def test_a_voice_note_outside_a_form_is_a_request_staff_can_play(
    sandbox: SandboxBot,
) -> None:
    zahra = sandbox.user(500, "زهرا")
    maryam = sandbox.user(200, "مریم")
    await join(sandbox, maryam, "sarasiab")
    offer = (await sandbox.act(zahra, "send_voice"))[-1]
    assert offer.text == t("start.offer")
    await sandbox.tap(zahra, t("start.offer_yes"))
    await finish_request(sandbox, zahra)
    [row] = await requests_rows(sandbox)
    assert row["description"] == t("request.voice_description")
    assert await attachment_kinds(sandbox) == ["voice"]
    # staff open the card and play it
    await sandbox.say(maryam, "/inbox")
    await sandbox.tap(maryam, "۱")
    sent = await sandbox.tap(maryam, t("inbox.media"))
    assert [m.kind for m in sent] == ["voice"]
    # and the export counts it
    assert sandbox.db is not None
    today = jalali.today(sandbox.settings.timezone, sandbox.clock.now())
    data, _ = await build_export(
        sandbox.db, sandbox.services.forms,
        office_ids=[o.id for o in await offices.list_offices(sandbox.db)], start=today,
        end=today, tz=sandbox.settings.timezone, with_phones=False)
    sheet = openpyxl.load_workbook(io.BytesIO(data))[t("export.requests_sheet")]
    headers, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert row[headers.index(t("export.voices"))] == 1
    assert row[headers.index(t("export.photos"))] == 0


async def test_a_photo_with_a_caption_outside_a_form_is_a_request(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await sandbox.act(zahra, "send_photo", "زباله‌ها یک هفته است جمع نشده")
    await sandbox.tap(zahra, t("start.offer_yes"))
    await sandbox.tap(zahra, "آب، برق، گاز، کوچه و خیابان")
    location = (await sandbox.tap(zahra, "سرآسیاب"))[-1]  # description and photos given
    assert "موقعیت" in location.text
    await sandbox.tap(zahra, t("form.skip"))
    await sandbox.tap(zahra, "نه، زنگ نزنید")
    await sandbox.tap(zahra, t("form.confirm"))
    [row] = await requests_rows(sandbox)
    assert row["description"] == "زباله‌ها یک هفته است جمع نشده"
    assert await attachment_kinds(sandbox) == ["photo"]


async def test_staff_free_text_gets_a_pointer(sandbox: SandboxBot) -> None:
    maryam = sandbox.user(200, "مریم")
    await join(sandbox, maryam, "sarasiab")
    reply = (await sandbox.say(maryam, "امروز جلسه داشتیم با اهالی"))[-1]
    assert reply.text.startswith(t("start.staff_pointer", features="«گزارش میدانی»")[:20])
    assert "«گزارش میدانی»" in reply.text and "«نیازسنجی»" in reply.text
    assert reply.text != t("general.not_understood")


# --- typed answers in real forms ---------------------------------------------------------------


@pytest.fixture
async def maryam(sandbox: SandboxBot) -> SimUser:
    """A facilitator of Qaleh Mahmoud, at the participants question of a field report."""
    user = sandbox.user(200, "مریم")
    await join(sandbox, user, "qaleh-mahmoud")
    await sandbox.say(user, "گزارش میدانی")
    await sandbox.tap(user, "قلعه محمود")
    return user


async def test_dates_and_counts_as_people_say_them(sandbox: SandboxBot, maryam: SimUser) -> None:
    today = jalali.today(sandbox.settings.timezone, sandbox.clock.now())
    asked = (await sandbox.say(maryam, "۳ روز پیش"))[-1]
    assert "نوع فعالیت" in asked.text
    assert (await answers_of(sandbox, maryam))["day"] == (today - timedelta(days=3)).isoformat()
    await sandbox.say(maryam, "کارگاه")  # a typed choice, part of its label
    assert (await answers_of(sandbox, maryam))["activity"] == "workshop"
    await sandbox.tap(maryam, "▫️ اجتماعی")
    await sandbox.tap(maryam, t("form.done"))
    several = (await sandbox.say(maryam, "۲۰ تا ۳۰ نفر"))[-1]
    assert several.text.startswith(t("form.number_several", numbers="۲۰ یا ۳۰"))
    await sandbox.say(maryam, "حدوداً ۳۰ نفر")
    await sandbox.say(maryam, "ده تا")
    await sandbox.say(maryam, "دوازده")
    await sandbox.say(maryam, "۱۵ نفر")
    await sandbox.say(maryam, "۲")
    answers = await answers_of(sandbox, maryam)
    assert [answers[q] for q in ("participants", "children", "adolescents", "women",
                                 "elderly")] == [30, 10, 12, 15, 2]


async def test_a_gregorian_date_is_converted_and_confirmed(sandbox: SandboxBot) -> None:
    maryam = sandbox.user(200, "مریم")
    await join(sandbox, maryam, "qaleh-mahmoud")
    await sandbox.say(maryam, "گزارش میدانی")
    await sandbox.tap(maryam, "قلعه محمود")
    yesterday = jalali.today(sandbox.settings.timezone, sandbox.clock.now()) - timedelta(days=1)
    typed = yesterday.isoformat()
    asked = (await sandbox.say(maryam, typed))[-1]
    assert asked.text == t("form.date_gregorian", typed=typed,
                           date=jalali.format_date(yesterday))
    assert "day" not in await answers_of(sandbox, maryam)
    taken = await sandbox.tap(maryam, t("form.confirm_yes"))
    assert "نوع فعالیت" in taken[-1].text
    assert (await answers_of(sandbox, maryam))["day"] == yesterday.isoformat()


async def test_an_edited_answer_changes_it_with_a_note(sandbox: SandboxBot,
                                                      maryam: SimUser) -> None:
    await sandbox.say(maryam, "دیروز")
    await sandbox.tap(maryam, "مشاوره")
    await sandbox.tap(maryam, "▫️ اجتماعی")
    await sandbox.tap(maryam, t("form.done"))
    await sandbox.say(maryam, "۲۰")
    sent = maryam.last_message_id
    await sandbox.say(maryam, "۵")  # children: the previous answer is now «participants»
    mark = sandbox.api.last_seq
    maryam.edit_text(sent, "۲۵")
    await sandbox.deliver()
    note = maryam.messages(mark)[-1].text
    assert note.startswith(t("form.edited", label="شرکت‌کنندگان", answer="۲۵"))
    assert "چند نفر نوجوان" in note  # still at the question it was at
    answers = await answers_of(sandbox, maryam)
    assert (answers["participants"], answers["children"]) == (25, 5)
    # an edit that cannot be taken says why and changes nothing
    mark = sandbox.api.last_seq
    maryam.edit_text(sent, "خیلی زیاد")
    await sandbox.deliver()
    assert maryam.messages(mark)[-1].text.startswith(t(
        "form.edit_refused", label="شرکت‌کنندگان", hint=t("form.expect_integer", low=0,
                                                             high=5000)))
    assert (await answers_of(sandbox, maryam))["participants"] == 25


async def test_an_edit_after_confirmation_changes_nothing(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await sandbox.say(zahra, PROBLEM)
    sent = zahra.last_message_id
    mark = sandbox.api.last_seq
    zahra.edit_text(sent, "آب وصل شد")
    await sandbox.deliver()
    assert zahra.messages(mark) == []  # no form open: a deliberate silence


async def test_a_voice_note_answers_a_text_question(sandbox: SandboxBot,
                                                    maryam: SimUser) -> None:
    await sandbox.say(maryam, "دیروز")
    await sandbox.tap(maryam, "سایر")
    answered = (await sandbox.act(maryam, "send_voice"))[-1]  # «what activity was it?»
    assert "در کدام حوزه‌ها بود" in answered.text
    value = (await answers_of(sandbox, maryam))["activity_other"]
    assert isinstance(value, dict) and value["voice"].startswith("voice")


async def test_a_typed_phone_and_a_typed_address_in_a_request(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await sandbox.say(zahra, "ثبت درخواست")
    await sandbox.say(zahra, "کوچه و خيابان")   # typed, Arabic ي, part of the label
    await sandbox.say(zahra, "سر آسیاب")
    await sandbox.say(zahra, "چراغ‌های کوچهٔ ما یک ماه است خاموش است؛ ٣ تیر برق خراب است.")
    await sandbox.act(zahra, "send_voice")  # a voice note beside the photos
    await sandbox.tap(zahra, t("form.done"))
    placed = (await sandbox.say(zahra, "خیابان شریعتی، کوچهٔ ۱۲، روبه‌روی مسجد"))
    assert len(placed) == 1  # one message: the next question, the address above it
    assert placed[0].text.startswith("✔ موقعیت: خیابان شریعتی، کوچهٔ ۱۲، روبه‌روی مسجد\n\n")
    await sandbox.tap(zahra, "بله، شماره‌ام را می‌فرستم")
    asked = (await sandbox.say(zahra, "۰۹۱۳ ۱۲۳ ۴۵۶۷"))[-1]
    assert asked.text == t("form.phone_confirm", phone=shown_phone("+989131234567"))
    summary = (await sandbox.tap(zahra, t("form.confirm_yes")))[-1].text
    assert "۳ تیر برق" in summary  # Arabic-Indic digits shown as Persian
    assert "۱ پیام صوتی" in summary
    await sandbox.tap(zahra, t("form.confirm"))
    [row] = await requests_rows(sandbox)
    assert row["phone"] == "+989131234567" and row["anonymous"] == 0
    assert str(row["description"]).endswith(t(
        "request.address", address="خیابان شریعتی، کوچهٔ ۱۲، روبه‌روی مسجد"))
    assert "۳ تیر" in str(row["description"])
    assert await attachment_kinds(sandbox) == ["voice"]


async def test_a_map_link_at_the_location_step_becomes_coordinates(
    sandbox: SandboxBot,
) -> None:
    zahra = sandbox.user(500, "زهرا")
    await request_until_photos(sandbox, zahra)
    await sandbox.tap(zahra, t("form.skip"))
    await sandbox.say(zahra, "https://neshan.org/maps/@30.2839,57.0834,15.0z,0.0p")
    await sandbox.tap(zahra, "نه، زنگ نزنید")
    await sandbox.tap(zahra, t("form.confirm"))
    assert sandbox.db is not None
    [place] = await sandbox.db.fetchall("SELECT latitude, longitude FROM attachments")
    assert (place["latitude"], place["longitude"]) == (30.2839, 57.0834)


async def test_declining_a_typed_phone_asks_again(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await request_until_photos(sandbox, zahra)
    await sandbox.tap(zahra, t("form.skip"))
    await sandbox.tap(zahra, t("form.skip"))
    await sandbox.tap(zahra, "بله، شماره‌ام را می‌فرستم")
    assert (await sandbox.say(zahra, "۰۹۱۳۱۲۳"))[-1].text.startswith(
        t("form.phone_too_short"))
    await sandbox.say(zahra, "+98 913 123 4567")
    again = (await sandbox.say(zahra, "نه"))[-1]
    assert again.text.startswith(t("form.confirm_declined"))
    answers = await answers_of(sandbox, zahra)
    assert "phone" not in answers and "~pending" not in answers
    assert json.dumps(answers, ensure_ascii=False).count("+98") == 0
    await sandbox.say(zahra, "۰۰۹۸۹۱۳۱۲۳۴۵۶۷")
    await sandbox.say(zahra, "بله")
    await sandbox.tap(zahra, t("form.confirm"))
    [row] = await requests_rows(sandbox)
    assert row["phone"] == "+989131234567"
    assert to_ascii_digits(CODE.search(zahra.last.text).group(1))  # type: ignore[union-attr]


async def test_the_hint_goes_once_a_choice_is_made(sandbox: SandboxBot, maryam: SimUser) -> None:
    await sandbox.say(maryam, "دیروز")
    await sandbox.tap(maryam, "مشاوره")
    hinted = (await sandbox.tap(maryam, t("form.done")))[-1]
    assert hinted.text.startswith(t("form.multi_too_few", count="یک"))
    toggled = (await sandbox.tap(maryam, "▫️ اجتماعی"))[-1]
    assert toggled.message_id == hinted.message_id
    assert not toggled.text.startswith(t("form.multi_too_few", count="یک"))
    assert toggled.text.startswith("پرسش ")


async def test_messages_hours_apart_are_not_one_description(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await sandbox.say(zahra, "چراغ‌های کوچهٔ ما خاموش است")
    sandbox.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    await sandbox.say(zahra, PROBLEM)
    await sandbox.tap(zahra, t("start.offer_yes"))
    await finish_request(sandbox, zahra)
    [row] = await requests_rows(sandbox)
    assert row["description"] == PROBLEM


async def test_multiple_choices_typed_and_none_of_them(sandbox: SandboxBot,
                                                      maryam: SimUser) -> None:
    await sandbox.say(maryam, "دیروز")
    await sandbox.say(maryam, "۴")  # the fourth activity: counselling
    asked = (await sandbox.say(maryam, "اجتماعی و فرهنگی"))[-1]
    assert "چند نفر شرکت کردند" in asked.text
    await sandbox.say(maryam, "صفر")  # nobody took part: the age questions are not asked
    agencies = (await answers_of(sandbox, maryam))
    assert (agencies["activity"], agencies["domains"], agencies["participants"]) == (
        "counselling", ["social", "cultural"], 0)
    summary_next = (await sandbox.say(maryam, "هیچ‌کدام"))[-1]  # agencies: none (min 0)
    assert "خلاصهٔ کار" in summary_next.text
    assert (await answers_of(sandbox, maryam))["agencies"] == []
