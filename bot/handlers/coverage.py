"""/coverage: the coordinator sees whether every pupil's family was reached."""
from __future__ import annotations

from telegram import Update

from bot import callbacks
from bot.context import HomevisitContext
from bot.i18n import Translator
from bot.keyboards import Screen, button, markup, rows
from bot.paging import page_screen, paginate
from bot.replies import edit_screen, refuse, reply, show as show_screen
from bot.services import outbox, periods
from bot.services.coverage import Coverage, Row, coverage
from bot.texts import DECLINE_REASON_LABELS

CLASSES_PER_PAGE = 24  # a line and a button each
LABEL_MAX = 40


def row_text(t: Translator, row: Row) -> str:
    text = t._("{pupils} leerlingen, {households} gezinnen · gekoppeld {linked} · uitgenodigd {invited} · "
               "gepland {booked} · bezocht {visited} · nee {declined} · onbereikbaar {unreachable} · "
               "{share} van de leerlingen bezocht").format(
        pupils=row.pupils, households=row.households, linked=row.linked, invited=row.invited, booked=row.booked,
        visited=row.visited, declined=row.declined, unreachable=row.unreachable,
        share=t.percent(row.share_visited))
    if row.decline_reasons:
        no_reason = t._("geen reden")
        reasons = ", ".join(f"{t._(DECLINE_REASON_LABELS[r]) if r in DECLINE_REASON_LABELS else no_reason} {n}"
                            for r, n in sorted(row.decline_reasons.items()))
        text += "\n  " + t._("Redenen voor nee: {reasons}").format(reasons=reasons)
    return text


def coverage_text(t: Translator, report: Coverage) -> str:
    lines = [_title(t, report)]
    for row in report.classes:
        lines += ["", f"{t.isolate(row.name)}", row_text(t, row)]
    lines += ["", t._("Hele school"), row_text(t, report.school), "", t._("Per leerkracht:")]
    lines += [teacher_line(t, teacher) for teacher in report.teachers]
    return "\n".join(lines)


def class_line(t: Translator, row: Row) -> str:
    return t._("{name}: {share} bezocht · nog niet bereikt {unreachable}").format(
        name=t.isolate(row.name), share=t.percent(row.share_visited), unreachable=row.unreachable)


def teacher_line(t: Translator, teacher) -> str:
    return t._("{name}: {done} bezocht, {planned} gepland, {hours} uur").format(
        name=t.isolate(teacher.name), done=teacher.done, planned=teacher.planned, hours=t.number(teacher.hours))


def _title(t: Translator, report: Coverage) -> str:
    return (t._("📊 Bereik: {period}").format(period=t.isolate(report.period.name)) if report.period
            else t._("📊 Bereik (geen bezoekperiode open)"))


async def _report(context: HomevisitContext) -> Coverage:
    rt = context.runtime
    period = await periods.current_period(context.session, rt.school_id)
    return await coverage(context.session, rt.school_id, period, rt.clock.now(), rt.settings.hours_per_visit)


async def summary_screen(context: HomevisitContext, index: int) -> Screen:
    """The school at a glance, a line per class (a button each for its details), and the
    messages that could not be delivered."""
    t = context.t
    report = await _report(context)
    failed = await outbox.failed_count(context.session, context.runtime.school_id)
    head = [_title(t, report), t._("Hele school") + "\n" + row_text(t, report.school)]
    if failed:
        head.append("⚠️ " + t.ngettext(
            "{count} bericht kon niet worden afgeleverd, ook niet na een paar pogingen.",
            "{count} berichten konden niet worden afgeleverd, ook niet na een paar pogingen.", failed
        ).format(count=failed))
    lines = [class_line(t, row) for row in report.classes]
    page = paginate(lines, index, budget=2800, most=CLASSES_PER_PAGE, separator="\n")
    buttons = [button(report.classes[k].name[:LABEL_MAX], "cvc", report.classes[k].class_id)
               for k in range(page.start, page.end)]
    extra = [[button("🧑‍🏫 " + t._("Per leerkracht"), "cvt", 0)]]
    if failed:
        extra.append([button("🔁 " + t._("Niet afgeleverde berichten opnieuw proberen"), "cvr")])
    return page_screen(t, "\n\n".join(head), ["\n".join(lines[page.start:page.end])], page, "cvs",
                       buttons=[*rows(buttons, 2), *extra])


async def class_screen(context: HomevisitContext, class_id: int) -> Screen | None:
    t = context.t
    report = await _report(context)
    row = next((r for r in report.classes if r.class_id == class_id), None)
    if row is None:
        return None  # not a class of this school
    return Screen("\n\n".join([_title(t, report), t.isolate(row.name) + "\n" + row_text(t, row)]),
                  markup([button("↩️ " + t._("Hele school"), "cvs", 0)]))


async def teachers_screen(context: HomevisitContext, index: int) -> Screen:
    t = context.t
    report = await _report(context)
    lines = [teacher_line(t, teacher) for teacher in report.teachers] or [t._("Nog geen leerkrachten.")]
    page = paginate(lines, index, separator="\n")
    return page_screen(t, _title(t, report) + "\n\n" + t._("Per leerkracht:"), lines[page.start:page.end], page,
                       "cvt", separator="\n", buttons=[[button("↩️ " + t._("Hele school"), "cvs", 0)]])


async def show(update: Update, context: HomevisitContext) -> None:
    if not context.who.is_coordinator:
        await update.effective_message.reply_text(
            context.t._("Dit is voor de coördinator. Kijk bij /help wat je kunt doen."))
        return
    await reply(update, await summary_screen(context, 0))


async def on_button(update: Update, context: HomevisitContext) -> None:
    """cvs:<page> the summary, cvc:<class> a class, cvt:<page> the teachers, cvr retry what failed."""
    if not context.who.is_coordinator:
        await refuse(update, context)
        return
    data = callbacks.parse(update.callback_query.data)
    if data.action == "cvc":
        screen = await class_screen(context, data.int_arg(0))
        if screen is None:
            await refuse(update, context)
            return
    elif data.action == "cvt":
        screen = await teachers_screen(context, data.int_arg(0))
    elif data.action == "cvr":
        queued = await outbox.retry_failed(context.session, context.runtime.school_id, None,
                                           context.runtime.clock.now())
        await update.callback_query.answer(context.t.ngettext(
            "{count} bericht gaat opnieuw de deur uit.", "{count} berichten gaan opnieuw de deur uit.", queued
        ).format(count=queued), show_alert=True)
        screen = await summary_screen(context, 0)
        message = update.callback_query.message
        await edit_screen(context.bot, message.chat.id, message.message_id, screen)
        return
    else:
        screen = await summary_screen(context, data.int_arg(0))
    await show_screen(update, screen)
