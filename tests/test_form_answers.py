"""Issue 20, the form side, through the fake messenger over the real bot: the natural
answers the type table now takes at every question (back words never saved, a typed phone
at the contact choice, «نه» at an optional step, «تموم» at the photos, «نمیدونم» at the
neighbourhood, «هیچکدوم», «خیلی زیاد», Neshan links and short links, «آب نداریم»), a typed
answer echoed as read on its question, counters that never contradict, resolve as a note
and its confirmation, the phone itself on the summary, the resident's help, /export date
phrases and the filed message's emergency numbers."""

from __future__ import annotations

import re
from itertools import pairwise

from bot.locale.phones import shown_phone
from bot.locale.text import t
from bot.sandbox import SandboxBot, SimUser
from storage import drafts
from storage.people import get_person
from tests.test_plain_speech import requests_rows
from tests.test_requests import file_request, join, open_card

URBAN = "آب، برق، گاز، کوچه و خیابان"
PROGRESS = re.compile(r"^پرسش ([۰-۹]+) — (?:حداکثر ([۰-۹]+) پرسش دیگر|آخرین پرسش)", re.M)
FA = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


async def answers_of(bot: SandboxBot, user: SimUser) -> dict[str, object]:
    assert bot.db is not None
    person = await get_person(bot.db, user.id)
    assert person is not None
    draft = await drafts.draft_of(bot.db, person.id)
    return {} if draft is None else draft.answers


async def to_description(bot: SandboxBot, zahra: SimUser) -> None:
    await bot.say(zahra, "ثبت درخواست")
    await bot.tap(zahra, URBAN)
    await bot.tap(zahra, "سرآسیاب")


async def test_a_back_word_goes_back_and_is_never_the_description(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await to_description(sandbox, zahra)
    back = (await sandbox.say(zahra, "میخوام برگردم عقب"))[-1]
    assert "در کدام محله؟" in back.text
    assert "description" not in await answers_of(sandbox, zahra)
    await sandbox.tap(zahra, "سرآسیاب")
    photos = (await sandbox.say(zahra, "آب نداریم"))[-1]  # a whole description
    assert "عکس یا پیام صوتی" in photos.text
    assert (await answers_of(sandbox, zahra))["description"] == "آب نداریم"


async def test_a_too_short_description_says_what_to_add(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await to_description(sandbox, zahra)
    assert (await sandbox.say(zahra, "آب"))[-1].text.startswith(
        "کمی بیشتر بنویسید: از کی؟ کجای محله؟")


async def test_no_done_and_a_typed_phone_at_the_contact_choice(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await to_description(sandbox, zahra)
    await sandbox.say(zahra, "چراغ‌های کوچه یک ماه است خاموش است")
    await sandbox.act(zahra, "send_photo")
    location = (await sandbox.say(zahra, "تموم"))[-1]  # done at the photos
    assert "موقعیت" in location.text
    contact = (await sandbox.say(zahra, "نه"))[-1]  # skips the optional location
    assert "تماس بگیرد؟" in contact.text
    asked = (await sandbox.say(zahra, "شمارم ۰۹۱۳ ۱۲۳ ۴۵۶۷ هست"))[-1]
    assert asked.text == t("form.phone_confirm", phone=shown_phone("+989131234567"))
    summary = (await sandbox.tap(zahra, t("form.confirm_yes")))[-1].text
    assert summary.startswith("درخواست — خلاصه")  # the phone question is not asked again
    assert f"شماره تماس: {shown_phone('+989131234567')}" in summary  # the number itself
    assert "۱ عکس" in summary and "موقعیت: —" in summary
    await sandbox.tap(zahra, t("form.confirm"))
    [row] = await requests_rows(sandbox)
    assert row["phone"] == "+989131234567" and row["anonymous"] == 0


async def test_yes_and_no_in_words_at_the_contact_choice(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await to_description(sandbox, zahra)
    await sandbox.say(zahra, "چراغ‌های کوچه یک ماه است خاموش است")
    await sandbox.say(zahra, "عکس ندارم")
    await sandbox.say(zahra, "ندارم")
    phone = (await sandbox.say(zahra, "آره زنگ بزنید"))[-1]
    assert "شماره را بنویسید" in phone.text
    await sandbox.say(zahra, "برگرد")
    summary = (await sandbox.say(zahra, "نه"))[-1].text
    assert summary.startswith("درخواست — خلاصه") and "راه تماس: نه، زنگ نزنید" in summary


async def test_dont_know_at_the_neighbourhood_asks_for_the_office(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await sandbox.say(zahra, "ثبت درخواست")
    await sandbox.tap(zahra, URBAN)
    office = (await sandbox.say(zahra, "نمیدونم"))[-1]
    assert "کدام دفتر تسهیل‌گری" in office.text
    assert (await answers_of(sandbox, zahra))["hood"] == "unsure"


async def test_neshan_links_and_short_links_at_the_location(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await to_description(sandbox, zahra)
    await sandbox.say(zahra, "چراغ‌های کوچه یک ماه است خاموش است")
    await sandbox.tap(zahra, t("form.skip"))
    short = (await sandbox.say(zahra, "https://nshn.ir/abcdef"))[-1]
    assert short.text.startswith(t("input.short_link", app="نشان"))
    contact = (await sandbox.say(zahra, "https://neshan.org/maps/@30.2839,57.0834,15.0z,0.0p"))
    assert "تماس بگیرد؟" in contact[-1].text
    assert (await answers_of(sandbox, zahra))["location"] == {
        "latitude": 30.2839, "longitude": 57.0834}


async def test_severity_in_words_none_of_them_and_the_echo(
    sandbox: SandboxBot
) -> None:
    ali = sandbox.user(210, "علی")
    await join(sandbox.db, ali, "qaleh-mahmoud")
    await sandbox.say(ali, "نیازسنجی")
    await sandbox.tap(ali, "قلعه محمود")
    date_question = ali.last
    after = await sandbox.say(ali, "پریروز")
    echoed = [m for m in after if m.message_id == date_question.message_id]
    assert echoed and "\n\n✔ تاریخ شناسایی: " in echoed[0].text  # read as a date,
    assert echoed[0].buttons() == []  # on the question's message, its buttons gone
    await sandbox.tap(ali, "اعتیاد")
    households = (await sandbox.say(ali, "خیلی زیاد"))[-1]
    assert "چند خانوار" in households.text
    assert (await answers_of(sandbox, ali))["severity"] == "high"
    assert "زیاد" in [m for m in ali.messages() if "شدت آن چقدر" in m.text][-1].text.split(
        "✔ شدت: ")[-1]


async def test_none_of_them_at_a_multiple_choice_that_allows_none(sandbox: SandboxBot) -> None:
    maryam = sandbox.user(200, "مریم")
    await join(sandbox.db, maryam, "qaleh-mahmoud")
    await sandbox.say(maryam, "گزارش میدانی")
    await sandbox.tap(maryam, "قلعه محمود")
    await sandbox.tap(maryam, t("form.today"))
    await sandbox.tap(maryam, "کارگاه یا آموزش")
    await sandbox.tap(maryam, "▫️ اجتماعی")
    await sandbox.tap(maryam, t("form.done"))
    for number in ("۲۴", "6", "۹", "14", "۲"):
        await sandbox.say(maryam, number)
    await sandbox.say(maryam, "هیچکدوم")
    assert (await answers_of(sandbox, maryam))["agencies"] == []


async def test_counters_never_contradict(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await sandbox.say(zahra, "چراغ‌های کوچهٔ ما یک ماه است خاموش است")
    started = await sandbox.tap(zahra, t("start.offer_yes"))
    intro = started[1].text
    most = int(re.search(r"حداکثر ([۰-۹]+) پرسش", intro).group(1).translate(FA))  # type: ignore[union-attr]
    seen: list[tuple[int, int]] = []
    steps = [("tap", URBAN), ("tap", "سرآسیاب"), ("tap", t("form.skip")),
             ("tap", t("form.skip"))]
    counters = [started[-1].text]
    for kind, label in steps:
        counters.append((await getattr(sandbox, kind)(zahra, label))[-1].text)
    for text in counters:
        found = PROGRESS.search(text)
        if found:
            number = int(found.group(1).translate(FA))
            left = int((found.group(2) or "0").translate(FA))
            seen.append((number, left))
    assert seen[0] == (1, most - 1)
    for (n1, l1), (n2, l2) in pairwise(seen):
        assert n2 == n1 + 1 and l2 <= l1 - 1  # numbered on, the rest only shrinks


async def test_resolve_is_a_note_and_its_confirmation(sandbox: SandboxBot) -> None:
    zahra, maryam = sandbox.user(500, "زهرا"), sandbox.user(200, "مریم")
    await join(sandbox.db, maryam, "sarasiab")
    await file_request(sandbox, zahra, extras=False, share=False)
    await open_card(sandbox, maryam)
    asked = await sandbox.tap(maryam, t("inbox.to_resolved"))
    assert not any(m.text.startswith("حل درخواست —") for m in asked)  # no form intro
    assert asked[-1].text.startswith("برای ساکن بنویسید")
    confirm = (await sandbox.say(maryam, "لامپ‌ها عوض شد"))[-1]
    assert confirm.text == t("form_input.short_confirm", title="حل درخواست",
                             note="لامپ‌ها عوض شد")
    assert "✏️ ۱" not in confirm.buttons() and t("form.confirm") in confirm.buttons()
    again = (await sandbox.tap(maryam, t("form_input.short_edit")))[-1]
    assert "برای ساکن بنویسید" in again.text
    confirm = (await sandbox.say(maryam, "همهٔ لامپ‌های کوچه عوض شد"))[-1]
    assert "«همهٔ لامپ‌های کوچه عوض شد»" in confirm.text
    await sandbox.tap(maryam, t("form.confirm"))
    [row] = await requests_rows(sandbox)
    assert row["status"] == "resolved"


async def test_the_filed_message_and_the_residents_help(sandbox: SandboxBot) -> None:
    zahra = sandbox.user(500, "زهرا")
    await file_request(sandbox, zahra, extras=False, share=False)
    filed = [m.text for m in zahra.messages() if m.text.startswith("درخواست شما ثبت شد")][-1]
    assert "برق ۱۲۱" in filed  # the category's (and the description's) emergency numbers
    assert "پاسخ می‌دهد" in filed
    help_text = (await sandbox.say(zahra, "/help"))[-1].text
    assert help_text.startswith(t("resident_help.title"))
    assert "«ثبت درخواست»" in help_text and "/request" not in help_text
    assert "ساعت کار" in help_text or t("resident_help.office_unknown") in help_text


async def test_export_reads_a_date_phrase(sandbox: SandboxBot) -> None:
    sara = sandbox.user(1, "سارا")  # the admin
    await sandbox.say(sara, "/start")
    sent = await sandbox.say(sara, "/export اول آذر تا امروز")
    assert any(m.kind == "document" for m in sent), [m.text for m in sent]
    refused = (await sandbox.say(sara, "/export فلان روز"))[-1]
    assert refused.text == t("input.range_bad")
