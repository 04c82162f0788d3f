"""`tashilyar demo`: a whole day of the programme, run by the real application against the
fake messenger and a fresh database, with no token.

An admin invites a province supervisor and facilitators of two offices; the facilitators
file field reports and a needs assessment; residents file requests; staff triage them; at
digest time the supervisor receives the daily digest. Every person's chat is printed as
they would see it, and the export and the chart are written to a folder.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path

from bot.clock import SYSTEM_CLOCK, ManualClock
from bot.config import Settings
from bot.locale.jalali import local_date
from bot.locale.text import t
from bot.planning import labels_from, scope_of, tick
from bot.reports.digest import build_digest
from bot.reports.export import build_export
from bot.reports.periods import period_of
from bot.sandbox import FakeBotAPI, SandboxBot, SimUser
from storage import offices
from storage.people import get_person

ADMIN_ID = 1
_CODE = re.compile(r"/start ([0-9a-z]{16})")


def step(number: int, total: int, text: str) -> None:
    """Show progress."""
    print(f"[{number}/{total}] {text}", flush=True)


async def join(bot: SandboxBot, admin: SimUser, person: SimUser, command: str) -> None:
    """The admin makes an invite; the person opens its link."""
    reply = (await bot.say(admin, command))[-1].text
    found = _CODE.search(reply)
    assert found, reply
    await bot.say(person, f"/start {found.group(1)}")


async def field_report(bot: SandboxBot, who: SimUser, hood: str, activity: str,
                       numbers: tuple[int, int, int, int, int], summary: str) -> None:
    """A complete field report, answered as a facilitator would."""
    await bot.say(who, t("menu.report"))
    await bot.tap(who, hood)
    await bot.tap(who, t("form.today"))
    await bot.tap(who, activity)
    await bot.tap(who, "▫️ اجتماعی")
    await bot.tap(who, "▫️ توانمندسازی")
    await bot.tap(who, t("form.done"))
    for number in numbers:
        await bot.say(who, str(number))
    await bot.tap(who, "▫️ بهزیستی")
    await bot.tap(who, t("form.done"))
    await bot.say(who, summary)
    await bot.tap(who, t("form.no"))
    await bot.act(who, "send_photo")
    await bot.tap(who, t("form.done"))
    await bot.tap(who, t("form.send_location"))
    await bot.tap(who, t("form.confirm"))


async def need(bot: SandboxBot, who: SimUser, hood: str) -> None:
    """A needs assessment of a critical case."""
    await bot.say(who, t("menu.need"))
    await bot.tap(who, hood)
    await bot.tap(who, t("form.today"))
    await bot.tap(who, "کار کودک و کودکان خیابانی")
    await bot.tap(who, "بحرانی")
    await bot.say(who, "۳۵")
    await bot.tap(who, "▫️ کودکان")
    await bot.tap(who, t("form.done"))
    await bot.say(who, "کودکان سر چهارراه دست‌فروشی می‌کنند و به مدرسه نمی‌روند.")
    await bot.tap(who, "مشاهده")
    await bot.say(who, "جلسه با خانواده‌ها و ثبت‌نام در مدرسه با کمک بهزیستی")
    await bot.tap(who, "بهزیستی")
    await bot.tap(who, t("form.skip"))
    await bot.tap(who, t("form.skip"))
    await bot.tap(who, t("form.confirm"))


async def request(bot: SandboxBot, who: SimUser, category: str, hood: str, text: str,
                  share: bool) -> None:
    """A resident's request."""
    await bot.say(who, "/start")
    await bot.say(who, t("menu.request"))
    await bot.tap(who, category)
    await bot.tap(who, hood)
    await bot.say(who, text)
    await bot.tap(who, t("form.skip"))
    await bot.tap(who, t("form.skip"))
    if share:
        await bot.tap(who, "بله، شماره‌ام را می‌فرستم")
        await bot.tap(who, t("form.send_contact"))
    else:
        await bot.tap(who, "نه، زنگ نزنید")
    await bot.tap(who, t("form.confirm"))


async def run_demo(settings: Settings, out_dir: Path) -> int:
    """Play the day, print the chats, write the export and the chart."""
    out_dir.mkdir(parents=True, exist_ok=True)
    database = out_dir / "demo.db"
    for stale in out_dir.glob("demo.db*"):
        stale.unlink()
    local = replace(settings, database_path=database, admin_ids=frozenset({ADMIN_ID}),
                    bot_token=None)
    total = 6
    tz = local.timezone
    today = local_date(SYSTEM_CLOCK.now(), tz)
    clock = ManualClock(datetime.combine(today, time(8, 5), tz))  # the day, played fast
    async with SandboxBot(local, FakeBotAPI(), clock=clock) as bot:
        assert bot.db is not None and bot.application is not None
        admin = bot.user(ADMIN_ID, "مدیر سامانه")
        sara = bot.user(10, "سارا")
        maryam, ali, hamid = bot.user(20, "مریم"), bot.user(21, "علی"), bot.user(22, "حمید")
        zahra = bot.user(30, "زهرا", phone="+989131112233")
        reza = bot.user(31, "رضا")
        step(1, total, "the admin invites a province supervisor and three facilitators")
        await bot.say(admin, "/start")
        await join(bot, admin, sara, "/invite supervisor kerman")
        await join(bot, admin, maryam, "/invite facilitator sarasiab")
        await join(bot, admin, ali, "/invite facilitator pamenar")
        await join(bot, admin, hamid, "/invite facilitator sarasiab")
        # The morning tick: a weekly or monthly digest goes out now if one is due today.
        await tick(bot.application)
        clock.set(datetime.combine(today, time(10, 30), tz))
        step(2, total, "facilitators file field reports and a needs assessment")
        await field_report(bot, maryam, "سرآسیاب", "کارگاه یا آموزش", (24, 6, 9, 14, 2),
                           "کارگاه مهارت‌های زندگی برای نوجوانان و مادران برگزار شد.")
        await field_report(bot, ali, "پامنار", "جلسهٔ محلی یا شورا", (18, 0, 3, 8, 5),
                           "جلسهٔ شورای محله دربارهٔ روشنایی کوچه‌ها و ایمنی پارک.")
        await need(bot, ali, "پامنار")
        step(3, total, "residents file requests")
        await request(bot, zahra, "آب، برق، گاز، کوچه و خیابان", "سرآسیاب",
                      "چراغ‌های کوچهٔ ما یک ماه است خاموش است و شب‌ها تاریک است.", share=True)
        await request(bot, reza, "آسیب اجتماعی در محله", "پامنار",
                      "شب‌ها در پارک محله خرید و فروش مواد دیده می‌شود.", share=False)
        step(4, total, "staff triage the requests")
        await bot.say(maryam, t("menu.inbox"))
        await bot.tap(maryam, "۱")
        await bot.tap(maryam, t("inbox.take"))
        await bot.tap(maryam, t("inbox.to_referred"))
        await bot.tap(maryam, "شهرداری")
        await bot.say(ali, t("menu.inbox"))
        await bot.tap(ali, "۱")
        await bot.tap(ali, t("inbox.to_in_review"))
        step(5, total, "digest time: the supervisor's daily digest goes out")
        clock.set(datetime.combine(today, time(20, 5), tz))
        await tick(bot.application)
        step(6, total, f"writing the export and the chart to {out_dir}")
        person = await get_person(bot.db, sara.id)
        assert person is not None
        office_ids, scope = await scope_of(bot.services, person)
        month = period_of("month", today)
        data, _ = await build_export(bot.db, bot.services.forms, office_ids=office_ids,
                                     start=month.start, end=month.end, tz=tz,
                                     with_phones=False)
        (out_dir / "export.xlsx").write_bytes(data)
        week = period_of("week", today)
        weekly = await build_digest(
            bot.db, office_ids=office_ids, scope=scope, period=week, tz=tz,
            labels=labels_from(bot.services.forms), overdue_days=local.overdue_days,
            overdue_by_category=bot.services.org.overdue_days, now=clock.now())
        if weekly.chart is not None:
            (out_dir / "chart.png").write_bytes(weekly.chart)
        for who, role in ((admin, "admin"), (sara, "supervisor"), (maryam, "facilitator"),
                          (ali, "facilitator"), (hamid, "facilitator, silent today"),
                          (zahra, "resident"), (reza, "resident, anonymous")):
            print("\n" + "=" * 70 + f"\n{who.first_name} ({role})\n" + "=" * 70)
            print(who.transcript())
        known = await offices.list_offices(bot.db)
        print(f"\n{len(known)} offices in the organisation file; database {database}")
    shutil.rmtree(out_dir / "__pycache__", ignore_errors=True)
    print(f"export: {out_dir / 'export.xlsx'}")
    print(f"chart:  {out_dir / 'chart.png'}")
    return 0
