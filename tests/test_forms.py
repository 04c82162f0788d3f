"""Field reports and needs assessments through the fake messenger over real PTB: every
question type, back, skip, cancel, edit from the summary, bad input, forged buttons,
double confirmation and repeated deliveries, stale and restarted drafts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.forms.model import SHIPPED_FORMS_DIR
from bot.locale import jalali
from bot.locale.normalize import to_persian_digits
from bot.locale.text import t
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from bot.sandbox.fake_api import ChatMessage
from storage import drafts, offices
from storage.db import Database
from storage.people import Person, create_invite, get_person, redeem_invite


async def join(db: Database, user: SimUser, office_slug: str) -> Person:
    """Make `user` a facilitator of the office through a real invite."""
    office = await offices.office_by_slug(db, office_slug)
    assert office is not None
    code = await create_invite(db, role="facilitator", office_id=office.id, created_by=None,
                               days=1)
    return await redeem_invite(db, code, user_id=user.id, display_name=user.first_name)


def typed_date(day: date) -> str:
    """A date as a person types it: Jalali, Persian digits, no zero padding."""
    j = jalali.to_jalali(day)
    return to_persian_digits(f"{j.year}/{j.month}/{j.day}")


def edit_button(summary_text: str, label: str) -> str:
    """The '✏️ N' button of the summary line for `label`."""
    for line in summary_text.splitlines():
        found = re.match(r"^([۰-۹]+)\. (.+?): ", line)
        if found and found.group(2) == label:
            return t("form.edit", number=int(found.group(1).translate(
                str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))))
    raise AssertionError(f"no summary line for {label!r} in:\n{summary_text}")


def asked(message: ChatMessage) -> str:
    """A question message without the trail of answers tapped on it (the live question
    message keeps the last few above the question it has become)."""
    lines = message.text.split("\n")
    while lines and lines[0].startswith("✔ "):
        lines.pop(0)
    return "\n".join(lines).lstrip("\n")


async def draft_for(db: Database | None, user: SimUser) -> drafts.Draft | None:
    """The user's open draft, if any."""
    assert db is not None
    person = await get_person(db, user.id)
    assert person is not None
    return await drafts.draft_of(db, person.id)


async def submissions(db: Database) -> list[dict[str, object]]:
    """Every stored submission as a dict."""
    return [dict(r) for r in await db.fetchall("SELECT * FROM submissions ORDER BY id")]


@pytest.fixture
async def maryam(sandbox: SandboxBot) -> SimUser:
    """A facilitator of the Qaleh Mahmoud office (two neighbourhoods)."""
    user = sandbox.user(200, "مریم")
    await join(sandbox.db, user, "qaleh-mahmoud")  # type: ignore[arg-type]
    return user


async def test_complete_field_report_with_every_question_type(
    sandbox: SandboxBot, maryam: SimUser
) -> None:
    db = sandbox.db
    assert db is not None
    say, tap = sandbox.say, sandbox.tap
    today = jalali.today(sandbox.settings.timezone, sandbox.clock.now())

    replies = await say(maryam, "گزارش میدانی")
    assert replies[0].text.startswith("گزارش میدانی — تا ۱۶ پرسش")
    assert replies[1].text.startswith("پرسش ۱ — حداکثر ۱۵ پرسش دیگر\nاین فعالیت در کدام محله بود؟")
    assert replies[1].buttons() == ["قلعه محمود", "میدان قلعه", t("form.cancel")]
    await tap(maryam, "میدان قلعه")
    # Date: a future date and a month 13 are refused; a typed date in Persian digits is taken.
    in_three_days = today + timedelta(days=3)
    future = (await say(maryam, typed_date(in_three_days)))[-1].text
    assert future.startswith(t("form.date_future", date=jalali.format_date(
        in_three_days, weekday=True)))
    assert (await say(maryam, "۱۴۰۵/۱۳/۱"))[-1].text.startswith(t("form.date_month"))
    assert (await say(maryam, "۱۴۰۴/۱۲/۳۰"))[-1].text.startswith(t(
        "form.date_day_in_month", month="اسفند", days=29))
    three_days_ago = today - timedelta(days=3)
    reply = (await say(maryam, typed_date(three_days_ago)))[-1]
    assert reply.text.startswith("پرسش ۳ — حداکثر ۱۳ پرسش دیگر\nنوع فعالیت چه بود؟")
    # Choice «other» makes a text question appear; a too-short text is refused.
    await tap(maryam, "سایر")
    assert (await say(maryam, "ab"))[-1].text.startswith(
        t("form.expect_text", low=3, high=200))
    await say(maryam, "نمایش فیلم برای نوجوانان")
    # Multiple choice: «done» with nothing picked is refused; toggles edit in place.
    refused = (await tap(maryam, t("form.done")))[-1]  # the question, edited in place
    assert refused.text.startswith(t("form.multi_too_few", count="یک"))
    edits = refused.edits
    await tap(maryam, "▫️ اجتماعی")
    await tap(maryam, "▫️ فرهنگی")
    toggled = (await tap(maryam, "✅ فرهنگی"))[-1]
    assert toggled.buttons()[:2] == ["✅ اجتماعی", "▫️ فرهنگی"] and toggled.edits == edits + 3
    await tap(maryam, t("form.done"))
    # Integers: a household count, out-of-range and a sticker get a hint saying why;
    # Arabic digits are fine.
    hint = t("form.expect_integer", low=0, high=5000)
    assert (await say(maryam, "بیست خانوار"))[-1].text.startswith(t(
        "form.number_unit", number="۲۰", unit="خانوار", expected="نفر"))
    assert (await say(maryam, "۵۰۰۰۰"))[-1].text.startswith(t(
        "form.number_out_of_range", number="۵۰٬۰۰۰", low=0, high=5000))
    assert (await sandbox.act(maryam, "send_sticker"))[-1].text.startswith(hint)
    await say(maryam, "٢٠")
    await say(maryam, "۱۲")
    crossed = (await say(maryam, "10"))[-1].text  # 12 + 10 > 20
    assert crossed.startswith("جمع کودکان و نوجوانان از کل شرکت‌کنندگان بیشتر شد.")
    assert "چند نفر نوجوان" in crossed
    await say(maryam, "۸")
    await say(maryam, "۱۱")
    await say(maryam, "۲")
    await tap(maryam, "▫️ شهرداری")
    await tap(maryam, t("form.done"))
    # Back from the summary text question to the agencies, then forward again.
    assert "دستگاه‌ها همکاری" in (await tap(maryam, t("form.back")))[-1].text
    await tap(maryam, t("form.done"))
    await say(maryam, "نمایش فیلم و گفت‌وگو دربارهٔ آسیب‌های فضای مجازی با ۲۰ نوجوان.")
    await tap(maryam, t("form.yes"))
    await say(maryam, "دعوت از خانواده‌ها برای جلسهٔ بعد")
    # Photos: two photos, then done; location through the phone's share button.
    assert (await sandbox.act(maryam, "send_photo"))[-1].text == t(
        "form.attachment_received", what=t("form.photo_count", count=1))
    await sandbox.act(maryam, "send_photo")
    location_question = (await tap(maryam, t("form.done")))[-1]
    assert maryam.menu_labels()[0] == t("form.send_location")
    assert location_question.text.startswith("✔ پیوست‌ها: ۲ عکس\n\n")
    assert asked(location_question).startswith("پرسش ۱۶ — آخرین پرسش")
    summary = (await tap(maryam, t("form.send_location")))[-1]
    assert summary.text.startswith(t("form.summary_title", title="گزارش میدانی"))
    assert "محله: میدان قلعه" in summary.text
    assert f"تاریخ: {jalali.format_date(three_days_ago)}" in summary.text
    assert "شرکت‌کنندگان: ۲۰" in summary.text and "پیوست‌ها: ۲ عکس" in summary.text

    # Edit from the summary: a new total below children + adolescents is refused.
    await tap(maryam, edit_button(summary.text, "شرکت‌کنندگان"))
    assert (await say(maryam, "۱۵"))[-1].text.startswith("جمع کودکان و نوجوانان")
    summary = (await say(maryam, "۳۰"))[-1]
    assert "شرکت‌کنندگان: ۳۰" in summary.text
    assert await submissions(db) == []  # nothing stored before confirm

    saved = (await tap(maryam, t("form.confirm")))[-1].text
    assert saved == t("form.saved", title="گزارش میدانی", number=1,
                      date=jalali.format_date(
                          jalali.today(sandbox.settings.timezone, sandbox.clock.now())))
    assert maryam.menu_labels()[0] == t("menu.report")

    rows = await submissions(db)
    assert len(rows) == 1
    row = rows[0]
    hood = (await offices.neighbourhoods_of(db, row["office_id"]))[1]  # type: ignore[arg-type]
    assert (row["form"], row["neighbourhood_id"], row["happened_on"]) == (
        "field_report", hood.id, three_days_ago.isoformat())
    assert (row["activity"], row["participants"], row["children"], row["adolescents"],
            row["women"], row["elderly"]) == ("other", 30, 12, 8, 11, 2)
    answers = json.loads(str(row["answers"]))
    assert answers["activity_other"] == "نمایش فیلم برای نوجوانان"
    assert answers["followup"] is True and answers["domains"] == ["social"]
    tags = [tuple(r) for r in await db.fetchall(
        "SELECT question, value FROM submission_tags ORDER BY question, value")]
    assert tags == [("agencies", "municipality"), ("domains", "social")]
    kinds = [r["kind"] for r in await db.fetchall("SELECT kind FROM attachments ORDER BY id")]
    assert kinds == ["photo", "photo", "location"]
    photo_ids = [r["file_id"] for r in await db.fetchall(
        "SELECT file_id FROM attachments WHERE kind = 'photo'")]
    assert all(fid.startswith("photo-file-") for fid in photo_ids)
    assert await draft_for(db, maryam) is None

    # Confirm tapped again on the same summary: still one submission.
    again = (await tap(maryam, t("form.confirm")))[-1].text
    assert again == t("form.already_saved", number=1)
    assert len(await submissions(db)) == 1
    mine = (await say(maryam, "گزارش‌های من"))[-1].text
    assert "شمارهٔ ۱ — گزارش میدانی — میدان قلعه" in mine


async def test_complete_needs_assessment(sandbox: SandboxBot, maryam: SimUser) -> None:
    say, tap = sandbox.say, sandbox.tap
    await say(maryam, "/need")
    await tap(maryam, "قلعه محمود")
    await tap(maryam, t("form.yesterday"))
    await tap(maryam, "کار کودک و کودکان خیابانی")
    await tap(maryam, "بحرانی")
    await say(maryam, "۴۵")
    await tap(maryam, "▫️ کودکان")
    await tap(maryam, "▫️ مهاجران")
    await tap(maryam, t("form.done"))
    await say(maryam, "کودکان در چهارراه‌ها دست‌فروشی می‌کنند و به مدرسه نمی‌روند.")
    await say(maryam, "مصاحبه")  # a choice typed instead of tapped
    await say(maryam, "جلسه با خانواده‌ها و ثبت‌نام مدرسه")
    await tap(maryam, "بهزیستی")
    await tap(maryam, t("form.skip"))       # no photos
    summary = (await tap(maryam, t("form.skip")))[-1]  # no location
    assert "روش شناسایی: مصاحبه" in summary.text and "موقعیت: —" in summary.text
    saved = (await tap(maryam, t("form.confirm")))[-1].text
    assert saved.startswith("✅ نیازسنجی شمارهٔ ۱")
    rows = await submissions(sandbox.db)  # type: ignore[arg-type]
    yesterday = jalali.today(sandbox.settings.timezone, sandbox.clock.now()) - timedelta(days=1)
    assert [(r["form"], r["category"], r["severity"], r["households"], r["happened_on"])
            for r in rows] == [("needs_assessment", "child_labour", "critical", 45,
                                yesterday.isoformat())]


async def test_cancel_by_command_and_by_button(sandbox: SandboxBot, maryam: SimUser) -> None:
    await sandbox.say(maryam, "/report")
    await sandbox.tap(maryam, "قلعه محمود")
    replies = await sandbox.say(maryam, "/cancel")
    assert replies[-1].text == t("form.cancelled", title="گزارش میدانی")
    assert maryam.menu_labels()[0] == t("menu.report")
    assert await draft_for(sandbox.db, maryam) is None  # type: ignore[arg-type]
    await sandbox.say(maryam, "/need")
    replies = await sandbox.tap(maryam, t("form.cancel"))
    assert replies[-1].text == t("form.cancelled", title="نیازسنجی")
    assert await submissions(sandbox.db) == []  # type: ignore[arg-type]


async def test_unexpected_messages_mid_form_get_the_hint_and_the_question(
    sandbox: SandboxBot, maryam: SimUser
) -> None:
    await sandbox.say(maryam, "/report")
    reply = (await sandbox.say(maryam, "/help"))[-1]
    assert reply.text.startswith(t("form.mid_form", title="گزارش میدانی"))
    assert "این فعالیت در کدام محله بود؟" in reply.text
    reply = (await sandbox.act(maryam, "send_voice"))[-1]
    assert reply.text.startswith(t("form.expect_choice"))
    reply = (await sandbox.act(maryam, "send_location"))[-1]
    assert reply.text.startswith(t("form.expect_choice"))
    assert (await sandbox.say(maryam, "میدان  قلعه"))[-1].text.startswith("پرسش ۲")


async def test_forged_buttons_cannot_pick_another_offices_neighbourhood(
    sandbox: SandboxBot, api: FakeBotAPI, maryam: SimUser
) -> None:
    db = sandbox.db
    assert db is not None
    await sandbox.say(maryam, "/report")
    person = await join(db, sandbox.user(201, "علی"), "pamenar")
    draft = await draft_for(db, maryam)
    assert draft is not None and draft.person_id != person.id
    other_office = await offices.office_by_slug(db, "pamenar")
    assert other_office is not None
    foreign_hood = (await offices.neighbourhoods_of(db, other_office.id))[0]
    maryam.tap_data(f"frm:{draft.id}:a:hood:{foreign_hood.id}")
    maryam.tap_data(f"frm:{draft.id + 1}:a:hood:{foreign_hood.id}")
    await sandbox.deliver()
    after = await draft_for(db, maryam)
    assert after is not None and after.answers == {} and after.current == "hood"
    answers = [a.get("text") for a in api.callback_answers.values()]
    assert answers == [t("access.stale_button")] * 2
    # Ali (another office) taps Maryam's draft's buttons: his own draft is looked up.
    ali = SimUser(api, 201, "علی")
    ali.tap_data(f"frm:{draft.id}:a:hood:{foreign_hood.id}")
    await sandbox.deliver()
    unchanged = await draft_for(db, maryam)
    assert unchanged is not None and unchanged.answers == {}


async def test_the_same_update_twice_is_applied_once(
    sandbox: SandboxBot, api: FakeBotAPI, maryam: SimUser
) -> None:
    await sandbox.say(maryam, "/report")
    await sandbox.tap(maryam, "قلعه محمود")
    await sandbox.tap(maryam, t("form.today"))
    await sandbox.tap(maryam, "مشاوره")
    await sandbox.tap(maryam, "▫️ اجتماعی")
    await sandbox.tap(maryam, t("form.done"))
    update_id = maryam.send_text("۷")
    await sandbox.deliver()
    api.redeliver(update_id)
    mark = api.last_seq
    await sandbox.deliver()
    assert maryam.messages(mark) == []
    draft = await draft_for(sandbox.db, maryam)
    assert draft is not None
    assert draft.answers["participants"] == 7 and "children" not in draft.answers
    assert draft.current == "children"


async def test_a_draft_survives_a_restart_and_resumes_at_the_same_question(
    settings: Settings, api: FakeBotAPI
) -> None:
    maryam = SimUser(api, 200, "مریم")
    async with SandboxBot(settings, api) as first:
        await join(first.db, maryam, "qaleh-mahmoud")  # type: ignore[arg-type]
        await first.say(maryam, "/report")
        await first.tap(maryam, "قلعه محمود")
        await first.tap(maryam, t("form.today"))
    async with SandboxBot(settings, api) as second:
        reply = (await second.tap(maryam, "مشاوره"))[-1]
        assert asked(reply).startswith("پرسش ۴")
        draft = await draft_for(second.db, maryam)
        assert draft is not None and draft.answers["activity"] == "counselling"
        assert draft.answers["hood"] and draft.answers["day"]


async def test_an_old_draft_is_offered_to_resume_or_discard(
    sandbox: SandboxBot, maryam: SimUser
) -> None:
    db = sandbox.db
    assert db is not None
    await sandbox.say(maryam, "/report")
    await sandbox.tap(maryam, "قلعه محمود")
    old = (sandbox.clock.now() - timedelta(days=2)).isoformat(timespec="seconds")
    await db.execute("UPDATE drafts SET updated_at = ?", (old,))
    offer = (await sandbox.say(maryam, "سلام"))[-1]
    assert offer.text.startswith("یک «گزارش میدانی» نیمه‌تمام از")
    assert offer.buttons() == [t("form.resume"), t("form.discard")]
    resumed = (await sandbox.tap(maryam, t("form.resume")))[-1]
    assert resumed.text.startswith(t("form.resumed", title="گزارش میدانی"))
    assert "چه روزی انجام شد؟" in resumed.text
    # Starting another form while this one is open offers the same choice.
    offer = (await sandbox.say(maryam, "/need"))[-1]
    assert offer.text.startswith("اول «گزارش میدانی» نیمه‌تمام")
    started = await sandbox.tap(maryam, t("form.discard"))
    assert started[0].text.startswith("نیازسنجی —")
    draft = await draft_for(db, maryam)
    assert draft is not None and draft.form == "needs_assessment"


async def test_residents_and_admins_cannot_file_reports(sandbox: SandboxBot) -> None:
    resident = sandbox.user(500, "زهرا")
    replies = await sandbox.say(resident, "/report")
    assert [r.text for r in replies] == [t("access.denied", role=t("role.resident"))]
    admin = sandbox.user(1, "مدیر")
    assert (await sandbox.say(admin, "/need"))[-1].text == t(
        "access.denied", role=t("role.admin"))


async def test_a_changed_form_definition_needs_no_code_change(
    settings: Settings, api: FakeBotAPI, tmp_path: Path
) -> None:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    text = (SHIPPED_FORMS_DIR / "needs_assessment.toml").read_text(encoding="utf-8")
    extra = ('\n[[questions]]\nid = "contact_person"\ntype = "text"\nlabel = "معتمد محل"\n'
             'prompt = "نام یک معتمد محل را بنویسید (اختیاری)."\noptional = true\nmax = 100\n')
    (forms_dir / "needs_assessment.toml").write_text(text + extra, encoding="utf-8")
    maryam = SimUser(api, 200, "مریم")
    async with SandboxBot(replace(settings, forms_dir=forms_dir), api) as bot:
        await join(bot.db, maryam, "pamenar")  # type: ignore[arg-type]
        replies = await bot.say(maryam, "/need")
        assert replies[0].text.startswith("نیازسنجی — تا ۱۳ پرسش")
        await bot.tap(maryam, "پامنار")
        await bot.tap(maryam, t("form.today"))
        await bot.tap(maryam, "اعتیاد")
        await bot.tap(maryam, "زیاد")
        await bot.say(maryam, "12")
        await bot.tap(maryam, "▫️ نوجوانان")
        await bot.tap(maryam, t("form.done"))
        await bot.say(maryam, "مصرف مواد در پارک محله دیده می‌شود.")
        await bot.tap(maryam, "مشاهده")
        await bot.say(maryam, "کارگاه پیشگیری")
        await bot.tap(maryam, "خود دفتر تسهیل‌گری")
        await bot.tap(maryam, t("form.skip"))
        question = (await bot.tap(maryam, t("form.skip")))[-1]
        assert "نام یک معتمد محل" in question.text and "پرسش ۱۳ — آخرین پرسش" in question.text
        summary = (await bot.say(maryam, "آقای رضایی"))[-1]
        assert "معتمد محل: آقای رضایی" in summary.text
        await bot.tap(maryam, t("form.confirm"))
        row = await bot.db.fetchone("SELECT answers FROM submissions")  # type: ignore[union-attr]
        assert row is not None and json.loads(row[0])["contact_person"] == "آقای رضایی"


async def test_cancel_asks_before_throwing_answers_away(
    sandbox: SandboxBot, maryam: SimUser
) -> None:
    await sandbox.say(maryam, "/report")
    await sandbox.tap(maryam, "قلعه محمود")
    asked = (await sandbox.tap(maryam, t("form.cancel")))[-1]
    assert asked.text == t("form.cancel_confirm", title="گزارش میدانی", count="یک")
    resumed = (await sandbox.tap(maryam, t("form.cancel_no")))[-1].text
    assert "چه روزی انجام شد؟" in resumed
    assert (await draft_for(sandbox.db, maryam)) is not None
    await sandbox.say(maryam, "لغو")
    done = (await sandbox.tap(maryam, t("form.cancel_yes")))[-1].text
    assert done == t("form.cancelled", title="گزارش میدانی")
    assert (await draft_for(sandbox.db, maryam)) is None


async def test_photos_are_kept_and_empty_looking_text_refused(
    sandbox: SandboxBot, maryam: SimUser
) -> None:
    say, tap = sandbox.say, sandbox.tap
    await say(maryam, "/need")
    await tap(maryam, "قلعه محمود")
    await tap(maryam, t("form.today"))
    await tap(maryam, "اعتیاد")
    await tap(maryam, "کم")
    await say(maryam, "3")
    await tap(maryam, "▫️ سالمندان")
    await say(maryam, "تمام")  # typed instead of tapped
    hint = t("form.expect_text", low=10, high=1500)
    assert (await say(maryam, "\u200c" * 12))[-1].text.startswith(hint)
    assert (await say(maryam, "😀" * 11))[-1].text.startswith(hint)
    await say(maryam, "چند سالمند تنها در کوچهٔ پشتی زندگی می‌کنند.")
    await tap(maryam, "مشاهده")
    await say(maryam, "سرکشی هفتگی")
    await tap(maryam, "بهزیستی")
    await sandbox.act(maryam, "send_photo")
    after_photo = (await sandbox.act(maryam, "send_photo"))[-1]
    assert t("form.skip") not in after_photo.buttons()
    await tap(maryam, t("form.done"))
    summary = (await tap(maryam, t("form.skip")))[-1].text
    assert "پیوست‌ها: ۲ عکس" in summary and "گروه‌های درگیر: سالمندان" in summary
